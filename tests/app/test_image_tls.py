"""The backend image ships the RDS CA bundle where the task definition tells libpq to find it."""

from __future__ import annotations

import re
import sys

from backend_testenv import BACKEND, ROOT

DOCKERFILE = (BACKEND / "Dockerfile").read_text().replace("\\\n", " ")


def test_the_rds_ca_bundle_is_in_the_image_readable_by_the_app_user() -> None:
    sys.path.insert(0, str(ROOT))
    from stacks.tasks import RDS_CA_BUNDLE

    (source, target) = re.search(r"^ADD\s+(\S+)\s+(\S+)$", DOCKERFILE, re.MULTILINE).groups()
    assert source == "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
    assert target == RDS_CA_BUNDLE
    assert f"chmod 0644 {RDS_CA_BUNDLE}" in DOCKERFILE  # ADD from a URL leaves it 0600
    assert f"ENV PGSSLROOTCERT={RDS_CA_BUNDLE}" in DOCKERFILE
    # Added and checked as root, before the image switches to its unprivileged user.
    assert DOCKERFILE.index(RDS_CA_BUNDLE) < DOCKERFILE.index("USER 10001")
    assert "get_ca_certs" in DOCKERFILE
