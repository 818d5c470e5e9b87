"""Applicants' files in the clerk's workbench (a point's Wagtail admin).

Staff read a file only through a case they may see from where they are
(`Case.objects.visible_to`): a file of a case outside their scope, or a key
that is not the case's, is the same 404 as one that does not exist."""
from __future__ import annotations

from django.http import Http404

from cases.admin_views import workbench_only
from cases.models import Case

from .apply_views import serve
from .models import Upload


@workbench_only
def case_file(request, case_id: int, key):
    case = Case.objects.visible_to(request.user, request.point).filter(pk=case_id).first()
    upload = Upload.objects.filter(case=case, key=key).first() if case is not None else None
    if upload is None:
        raise Http404("没有这个文件，或您无权查看。")
    return serve(upload, request)
