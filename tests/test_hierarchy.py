"""Hierarchy queries: one query each, whatever the depth."""


def test_ancestors_descendants_and_network(network, django_assert_num_queries):
    from tenants.models import ServicePoint

    ServicePoint.objects.exists()  # the connection has set its search_path
    with django_assert_num_queries(1):
        assert list(network.village.ancestors()) == [network.county, network.township]
    with django_assert_num_queries(1):
        below_county = set(network.county.descendants())
    assert below_county == {network.township, network.other_township, network.village,
                            network.other_village, network.park}
    with django_assert_num_queries(1):
        assert set(network.township.descendants()) == {network.village}
    assert list(network.village.descendants()) == []
    with django_assert_num_queries(1):
        assert len(network.other_village.network()) == 6
    assert list(network.park.ancestors()) == [network.county]
