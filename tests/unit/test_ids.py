import re

from paygate import ids


def test_prefixed_ids_have_sixteen_random_alphanumerics():
    for kind, prefix in (("order", "order_"), ("payment", "pay_"), ("refund", "rfnd_")):
        made = {ids.new_id(kind) for _ in range(200)}
        assert len(made) == 200
        assert all(re.fullmatch(re.escape(prefix) + r"[A-Za-z0-9]{16}", i) for i in made)
        assert all(ids.looks_like(kind, i) for i in made)


def test_looks_like_rejects_malformed():
    for bad in ("pay_short", "pay_" + "a" * 17, "order_" + "a" * 16, "pay_" + "é" * 16, None, 12, "pay_" + "a" * 15 + "!", "../etc/passwd"):
        assert not ids.looks_like("payment", bad)
    assert ids.looks_like("uuid", ids.new_uuid())
    assert not ids.looks_like("uuid", "550e8400-e29b-41d4-a716-44665544000")


def test_event_ids_and_secrets():
    assert ids.new_event_id().startswith("evt_")
    assert ids.new_api_secret() != ids.new_api_secret()


def test_random_part_uses_every_character_of_the_alphabet_and_nothing_else():
    drawn = "".join(ids._random() for _ in range(4000))
    assert set(drawn) == set(ids._ALPHABET)  # 64,000 draws: each of the 62 characters appears
    assert all(len(ids._random(n)) == n for n in (1, 16, 40))
