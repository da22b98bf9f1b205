from paygate.cli import main

main()
