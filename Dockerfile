# syntax=docker/dockerfile:1
# patchpilot: one image for the API, worker, beat, chat UI, KB editor, migrations and the AWX
# emulator (`patchpilot <command>`). Deployment: openshift/ and docs/deploy.md.
#
#   docker build -t patchpilot:0.1.0 .      (or: podman build, oc start-build)
#
# Runs as UID 1001, and as any arbitrary UID in group 0 as OpenShift's restricted SCC assigns:
# everything the app may write is owned by group 0 and group-writable (chmod g=u).

ARG BUILDER_IMAGE=registry.access.redhat.com/ubi9/python-311:latest
ARG RUNTIME_IMAGE=registry.access.redhat.com/ubi9/ubi-minimal:latest

# --- builder: a virtualenv with the locked dependencies and patchpilot -------------------------
FROM ${BUILDER_IMAGE} AS builder

USER 0
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The runtime stage installs the same RHEL python3.11 RPM at the same path, so the venv's
# interpreter link (/usr/bin/python3.11) stays valid after the copy.
RUN /usr/bin/python3.11 -m venv /opt/patchpilot/venv
ENV PATH=/opt/patchpilot/venv/bin:${PATH}

# Dependencies first, from the lock only (pinned, hash-checked, wheels only: every locked
# package ships a manylinux x86_64 wheel), so this layer is rebuilt only when the lock changes.
COPY requirements.lock /build/requirements.lock
RUN pip install --require-hashes --only-binary=:all: --no-deps -r /build/requirements.lock

WORKDIR /build
COPY pyproject.toml README.md LICENSE THIRD_PARTY.md ./
COPY core ./core
COPY kb ./kb
COPY workers ./workers
COPY tools ./tools
COPY agent ./agent
COPY api ./api
COPY cli ./cli
COPY ui ./ui
COPY evals ./evals
RUN pip install --no-deps . \
    && /opt/patchpilot/venv/bin/patchpilot --help >/dev/null
USER 1001

# --- runtime: python3.11 on ubi-minimal, no compiler, no pip cache ---------------------------
FROM ${RUNTIME_IMAGE} AS runtime

LABEL org.opencontainers.image.title="patchpilot" \
      org.opencontainers.image.description="Patch Linux fleets by chat through AWX/AAP" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.k8s.display-name="patchpilot" \
      io.openshift.expose-services="8000:http,8501:http,7860:http,8052:http"

# Not pinned to an RPM release: UBI repositories drop superseded builds, and the base image tag
# already fixes the RHEL minor release.
# hadolint ignore=DL3041
RUN microdnf install -y --nodocs --setopt=install_weak_deps=0 python3.11 \
    && microdnf clean all \
    && rm -rf /var/cache/yum /var/lib/dnf/repos

COPY --from=builder --chown=1001:0 /opt/patchpilot/venv /opt/patchpilot/venv
# The playbooks travel with the image for reference and for the emulator; AWX runs its own copy
# from the project (git) it is pointed at.
COPY --chown=1001:0 playbooks /opt/patchpilot/playbooks

# HOME and PATCHPILOT_HOME (celerybeat-schedule, caches) must be writable by an arbitrary UID.
RUN mkdir -p /opt/app-root/src /opt/app-root/data \
    && chown -R 1001:0 /opt/app-root /opt/patchpilot \
    && chmod -R g=u /opt/app-root /opt/patchpilot

ENV PATH=/opt/patchpilot/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/opt/app-root/src \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATCHPILOT_ENV=production \
    PATCHPILOT_HOME=/opt/app-root/data \
    PATCHPILOT_API__HOST=0.0.0.0 \
    PATCHPILOT_API__PORT=8000 \
    STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=8501 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    GRADIO_ANALYTICS_ENABLED=False

WORKDIR /opt/app-root/src
USER 1001

# 8000 API, 8501 chat UI (Streamlit), 7860 KB editor (Gradio), 8052 AWX emulator.
EXPOSE 8000 8501 7860 8052

ENTRYPOINT ["patchpilot"]
CMD ["api"]
