"""Links to a point's own host, in the scheme and port the request came in on."""
from .models import ServicePoint


def point_url(request, point: ServicePoint, path: str = "/") -> str:
    port = request.get_port()
    suffix = "" if port in ("80", "443") else f":{port}"
    return f"{request.scheme}://{point.primary_host}{suffix}{path}"
