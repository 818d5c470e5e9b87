"""Page types of a service point's site.

Home → 办事指南 index (slug "items") → one ItemGuidePage per adopted standard
item (slug = the item's basic code). A guide holds only what the point itself
decides (window, hours, phone, promised days …) and the standard version it is
pinned to; every standard element is read from that version (public schema), so
a new version reaches the guide as one changed pin in a new revision.
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from wagtail.admin.panels import FieldPanel, HelpPanel, MultiFieldPanel, Panel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page, Revision
from wagtail.search import index

from standards import elements


class IndexChildRoute:
    """Routes past the home page to its one child, the 办事指南 index, in one query.

    Wagtail's own child lookup takes three on every guide and catalogue request
    made each time: the child as a plain Page, its content type (django-tenants
    empties the content type cache at each request's schema switch) and the
    child again as its specific class. RoutablePageMixin tries the home page's
    own routes (themes, departments) first and comes here only for a child."""

    def route(self, request, path_components):
        if path_components:
            index = (ItemIndexPage.objects
                     .filter(path__startswith=self.path, depth=self.depth + 1, slug=path_components[0]).first())
            if index is not None:
                index._cached_parent_obj = self  # as Wagtail's lookup does (treebeard's get_parent)
                return index.route(request, path_components[1:])
        return super().route(request, path_components)  # any other child, or Wagtail's 404


class HomePage(RoutablePageMixin, IndexChildRoute, Page):
    """A point's front page. Name, address, hours and phone come from the
    ServicePoint itself (public schema), so they are never out of step."""

    intro = RichTextField("简介", blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.ItemIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = "服务点首页"

    def get_context(self, request, *args, **kwargs):

        context = super().get_context(request, *args, **kwargs)
        context["point"] = getattr(request, "point", None)
        return context

    @path("", name="home")
    def home(self, request):
        from . import listings

        return self.render(request, context_overrides=listings.home_listing())

    @path("themes/<str:theme>/", name="theme")
    def theme(self, request, theme):
        from . import listings

        if theme not in elements.THEMES:
            raise Http404("没有这个主题")
        return self.render(request, template="cms/listing.html",
                           context_overrides=listings.theme_listing(theme))

    @path("departments/<str:department>/", name="department")
    def department(self, request, department):
        from . import listings

        context = listings.department_listing(department)
        if not context["guides"]:
            raise Http404("本点没有这个部门的事项")
        return self.render(request, template="cms/listing.html", context_overrides=context)


class ItemIndexPage(Page):
    """/items/: every guide of the point; /items/<code>/ finds a guide whatever the case."""

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ItemGuidePage"]
    max_count = 1

    class Meta:
        verbose_name = "办事指南目录"

    def route(self, request, path_components):
        if not path_components:
            return super().route(request, path_components)
        # One query for the guide itself, in any letter case, instead of
        # Wagtail's child lookup followed by `.specific` (two more).
        guide = (ItemGuidePage.objects.live()
                 .filter(path__startswith=self.path, depth=self.depth + 1, slug=path_components[0].upper())
                 .select_related("standard_version").first())
        if guide is None:
            raise Http404("本点没有这个事项")
        return guide.route(request, path_components[1:])

    def get_context(self, request, *args, **kwargs):
        from . import listings

        context = super().get_context(request, *args, **kwargs)
        from . import delegation

        context["point"] = getattr(request, "point", None)
        context.update(listings.all_listing())
        context["granted"] = delegation.granted_here(context["point"])  # a park's 赋权事项, read now
        return context


class ItemGuidePage(RoutablePageMixin, Page):
    code = models.CharField("基本编码", max_length=32, db_index=True, editable=False)
    # In public; point schemas keep no FK constraint to shared tables (yimen/db/base.py).
    standard_version = models.ForeignKey("standards.StandardItemVersion", verbose_name="标准版本",
                                         on_delete=models.PROTECT, related_name="+")
    implementation_code = models.CharField("实施编码", max_length=64, blank=True)
    window = models.CharField("办理窗口", max_length=100, blank=True, help_text="如：综合受理窗口 3 号")
    address = models.CharField("办理地点", max_length=200, blank=True, help_text="留空则用本服务点地址")
    hours = models.CharField("办理时间", max_length=200, blank=True, help_text="留空则用本服务点办公时间")
    phone = models.CharField("咨询电话", max_length=40, blank=True, help_text="留空则用标准中的电话")
    promised_days = models.PositiveIntegerField("本点承诺时限（工作日）", null=True, blank=True,
                                                help_text="留空则用标准承诺时限；不能超过法定时限")
    fee_note = models.CharField("本地收费说明", max_length=300, blank=True)
    online_url = models.URLField("网上办理地址", max_length=300, blank=True, help_text="留空则用标准中的地址")
    notes = models.TextField("补充说明", blank=True)

    content_panels = [
        HelpPanel(template="cms/panels/standard_summary.html", heading="标准内容（由县级统一发布，此处只读）"),
        FieldPanel("title"),
        MultiFieldPanel([FieldPanel("implementation_code"), FieldPanel("window"), FieldPanel("address"),
                         FieldPanel("hours"), FieldPanel("phone")], heading="本点办理信息"),
        MultiFieldPanel([FieldPanel("promised_days"), FieldPanel("fee_note"), FieldPanel("online_url"),
                         FieldPanel("notes")], heading="本点补充"),
    ]
    promote_panels: list[Panel] = []
    # Wagtail's own (admin) page search: title, code and the standard's names.
    # The citizens' catalogue search is search/ (Chinese segmentation, pinyin).
    search_fields = Page.search_fields + [index.SearchField("code"), index.SearchField("standard_names")]
    parent_page_types = ["cms.ItemIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "办事指南"

    # Local fields that restate a standard element: a point that set one of them
    # "touched" that element, so a new version changing it waits for the point.
    OVERRIDES = {"title": "name", "promised_days": "promised_days", "phone": "phone",
                 "online_url": "online_url", "fee_note": "fee"}

    @property
    def standard(self) -> dict:
        return self.standard_version.content

    def standard_names(self) -> str:
        content = self.standard
        return " ".join([content["name"], *content.get("aliases", []), content.get("result", ""),
                         content["department"]])

    @property
    def effective_promised_days(self) -> int:
        return self.standard["promised_days"] if self.promised_days is None else self.promised_days

    def clean(self):
        super().clean()
        statutory = self.standard_version.statutory_days
        if self.promised_days is not None and self.promised_days > statutory:
            raise ValidationError({"promised_days": f"本点承诺时限不能超过法定时限 {statutory} 个工作日。"})

    def get_context(self, request, *args, **kwargs):
        from . import guide_view

        context = super().get_context(request, *args, **kwargs)
        context.update(guide_view.guide_context(self, request))
        return context

    @path("", name="guide")
    def guide(self, request):
        return self.render(request)

    @path("print/", name="print")
    def print_view(self, request):
        return self.render(request, template="cms/item_guide_print.html")


class StandardUpdate(models.Model):
    """A new standard version that could not be published at once at this point
    (the point had changed an element the version changes): kept as a draft
    revision beside the live guide until an editor decides."""

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        ACCEPTED = "accepted", "已采用"
        SUPERSEDED = "superseded", "已被更新版本取代"

    page = models.ForeignKey(ItemGuidePage, on_delete=models.CASCADE, related_name="standard_updates")
    from_version = models.ForeignKey("standards.StandardItemVersion", on_delete=models.PROTECT, related_name="+")
    to_version = models.ForeignKey("standards.StandardItemVersion", on_delete=models.PROTECT, related_name="+")
    revision = models.ForeignKey(Revision, on_delete=models.SET_NULL, null=True, related_name="+")
    conflicts = models.JSONField("冲突要素", default=list)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "标准更新待处理"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.page_id}: 第 {self.from_version_id} → {self.to_version_id} 版"
