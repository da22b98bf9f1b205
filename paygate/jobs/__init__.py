"""Jobs adapter: huey tasks that take ids and call the core; the sweeper; worker processes."""
