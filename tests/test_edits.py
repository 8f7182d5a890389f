"""restore.edits helpers not covered through the restorer."""


def test_shared_edges_count_the_words_a_replacement_keeps_at_its_ends() -> None:
    from restore.edits import shared_edges

    assert shared_edges(("within", "the"), ("in", "the")) == (0, 1)
    assert shared_edges(("a", "sort", "of"), ("a", "kind", "of")) == (1, 1)
    assert shared_edges(("mentioned",), ("said",)) == (0, 0)
    assert shared_edges(("peace", "treaty"), ("peace",)) == (0, 0)  # one word of each side stays
    assert shared_edges(("the", "the"), ("the", "the")) == (1, 0)
