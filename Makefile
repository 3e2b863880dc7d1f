# The two commands (see README): `make demo` and `make test`. Everything else is a helper.
# CI runs `make test` with CI=true, which turns warnings into errors.

JOBS ?= 2
WERROR ?= $(if $(filter true 1,$(CI)),ON,OFF)
PORT ?= 8080
DATA_DIR ?= ./cloudopt-data

.PHONY: demo test deps dashboard build-release build-debug bench format clean image

# Install what is missing, build in Release, and run the service with the demo on http://localhost:$(PORT).
demo: deps dashboard build-release
	@echo "cloudopt demo on http://localhost:$(PORT): log in as admin with the password printed below on the first start"
	@echo "  (or set CLOUDOPT_ADMIN_PASSWORD before it; reset later: ./build/release/cloudopt user passwd admin --data-dir $(DATA_DIR))"
	./build/release/cloudopt serve --demo --port $(PORT) --data-dir $(DATA_DIR)

# Build with AddressSanitizer + UBSan and run every test; exits non-zero on any failure.
test: deps dashboard build-debug
	cd build/debug && ctest --output-on-failure -j$(JOBS) --timeout 600

deps:
	./scripts/install-deps.sh

# The web dashboard (served by cloudopt at /): npm ci from the lock file, then a Vite build into dashboard/dist.
dashboard:
	cd dashboard && (npm ci --no-audit --no-fund --loglevel=error) && npm run build --silent

build-release:
	cmake --preset release -DCLOUDOPT_WERROR=$(WERROR) >/dev/null
	cmake --build build/release -j$(JOBS)

build-debug:
	cmake --preset debug -DCLOUDOPT_WERROR=$(WERROR) >/dev/null
	cmake --build build/debug -j$(JOBS)

# The container image from deploy/Dockerfile, the whole multi-stage build (compiles cloudopt and the dashboard inside).
# Here with podman (no Docker engine, no registry: the Debian base is built once by scripts/podman-base-image.sh);
# elsewhere: docker build -f deploy/Dockerfile -t cloudopt .
IMAGE ?= localhost/cloudopt:latest
# PEM files of extra CA certificates the build stage trusts (a TLS-intercepting proxy before registry.npmjs.org)
EXTRA_CA_CERTS ?=
PODMAN = CONTAINERS_CONF=$(CURDIR)/deploy/test/containers.conf podman --runtime runc --storage-driver vfs
image: deps
	./scripts/podman-base-image.sh localhost/debian:12
	$(PODMAN) build --format docker --network host --isolation chroot -f deploy/Dockerfile \
	  --build-arg BASE=localhost/debian:12 --build-arg RUNTIME_BASE=localhost/debian:12 --build-arg ARTIFACTS=build \
	  $(if $(EXTRA_CA_CERTS),--build-arg EXTRA_CA_CERTS="$$(cat $(EXTRA_CA_CERTS))") -t $(IMAGE) .

# Benchmarks (Release): see docs/PERFORMANCE.md for what they measure and how to read them.
bench: deps build-release
	./bench/run_all.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf build
