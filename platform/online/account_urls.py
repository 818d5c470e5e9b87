"""Routes owned by online.account (see online/urls.py)."""
from django.urls import path

from tenants.text_size import text_size

from . import account_views

urlpatterns = [
    path("text-size/", text_size, name="text_size"),
    path("login/", account_views.login, name="online_login"),
    path("login/code/", account_views.login_code, name="online_login_code"),
    path("logout/", account_views.logout, name="online_logout"),
    path("account/verify/", account_views.verify, name="online_verify"),
    path("my/", account_views.my_cases, name="online_my_cases"),
    path("my/<str:number>/", account_views.my_case, name="online_my_case"),
    path("my/<str:number>/results/<str:token>.pdf", account_views.my_result_pdf, name="online_my_result"),
]
