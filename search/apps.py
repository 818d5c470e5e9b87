from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    label = "search"
    verbose_name = "事项搜索"

    def ready(self):
        from cms.hooks import guides_changed
        from tenants import hooks as point_hooks
        from tenants.archive import shared_rows

        from . import indexing, reindexing, signals

        signals.connect()
        guides_changed.connect(indexing.guides_changed, dispatch_uid="yimen-search-guides-changed")
        # A point deleted or restored (tenants.deletion, tenants.archive).
        point_hooks.point_deleting.connect(indexing.point_deleting, dispatch_uid="yimen-search-point-deleting")
        point_hooks.point_deleted.connect(indexing.point_deleted, dispatch_uid="yimen-search-point-deleted")
        point_hooks.point_restored.connect(reindexing.point_restored, dispatch_uid="yimen-search-point-restored")
        # What a point's archive carries of search: its statistics, not its documents.
        shared_rows.register("search.SearchLog", "point")
        shared_rows.register("search.SearchClick", "point")
        shared_rows.register_not_exported(
            "search.SearchDocument", "derived from the point's live guides; import_point rebuilds them")
        shared_rows.register_not_exported(
            "search.IndexChange", "the search outbox: transient, and the rebuilt documents make it moot")
