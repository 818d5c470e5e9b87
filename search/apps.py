from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    label = "search"
    verbose_name = "事项搜索"

    def ready(self):
        from cms.hooks import guides_changed

        from . import indexing, signals

        signals.connect()
        guides_changed.connect(indexing.guides_changed, dispatch_uid="yimen-search-guides-changed")
