import collections
import re

from shared.ids import new_id


def test_ids_are_prefixed_base62_of_the_asked_length():
    assert re.fullmatch(r"pay_[A-Za-z0-9]{24}", new_id("pay"))
    assert re.fullmatch(r"re_[A-Za-z0-9]{8}", new_id("re", 8))


def test_ids_are_unique_and_use_the_whole_alphabet_evenly():
    ids = {new_id("x") for _ in range(5000)}
    assert len(ids) == 5000
    counts = collections.Counter("".join(i[2:] for i in ids))
    assert len(counts) == 62
    expected = 5000 * 24 / 62
    assert all(0.8 * expected < n < 1.2 * expected for n in counts.values())
