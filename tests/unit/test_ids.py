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


def test_ordered_ids_have_the_random_ids_shape_and_sort_by_creation(monkeypatch):
    clock = iter([1_700_000_000_000_000_000, 1_700_000_000_000_001_000, 1_800_000_000_000_000_000])
    monkeypatch.setattr(ids, "_clock_ns", lambda: next(clock))
    made = [ids.new_ordered_id("event") for _ in range(3)]
    assert made == sorted(made) and len(set(made)) == 3
    assert all(ids.looks_like("event", i) and re.fullmatch(r"evt_[A-Za-z0-9]{16}", i) for i in made)
    assert made[0][4:13] == ids._time_part(1_700_000_000_000_000)
    assert made[0][4:13] < made[1][4:13] < made[2][4:13]  # a microsecond apart, then 3 years
    monkeypatch.undo()
    for kind in ("audit_entry", "balance_transaction", "journal"):
        assert ids.looks_like(kind, ids.new_ordered_id(kind))


def test_ordered_ids_of_one_microsecond_differ_in_their_random_part(monkeypatch):
    monkeypatch.setattr(ids, "_clock_ns", lambda: 1_750_000_000_123_456_000)
    made = {ids.new_ordered_id("audit_entry") for _ in range(500)}
    assert len(made) == 500 and len({i[4:13] for i in made}) == 1


def test_time_part_is_fixed_width_base62_in_ascii_order():
    assert ids._time_part(0) == "000000000"
    assert ids._time_part(61) == "00000000z" and ids._time_part(62) == "000000010"
    assert ids._time_part(62**9 - 1) == "z" * 9
    samples = [0, 9, 10, 35, 36, 61, 62, 10**15, 1_765_000_000_000_000, 62**9 - 1]
    assert [ids._time_part(n) for n in samples] == sorted(ids._time_part(n) for n in samples)


def test_uuid7_is_a_version_7_uuid_ordered_by_its_millisecond(monkeypatch):
    import uuid

    clock = iter([1_700_000_000_000_000_000, 1_700_000_000_002_000_000])
    monkeypatch.setattr(ids, "_clock_ns", lambda: next(clock))
    first, second = ids.new_uuid7(), ids.new_uuid7()
    for made in (first, second):
        parsed = uuid.UUID(made)
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122 and ids.looks_like("uuid", made)
    assert uuid.UUID(first).int >> 80 == 1_700_000_000_000 and first < second
