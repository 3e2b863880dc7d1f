#!/usr/bin/env python3
"""The deployment files (deploy/) against the binary they run: every file parses as YAML (PyYAML), every container
argument is a subcommand and flag of the binary's own --help, every CLOUDOPT_* environment variable names a config key
of src/app/config.cpp's table (or a variable the source reads), every config file is accepted by the binary itself,
ports agree everywhere (config, container, probes, Service, scrape annotations, Compose, Prometheus), probe and
health-check paths are routes of the API's OpenAPI, the Role allows exactly what the Kubernetes driver calls.

Usage: check_manifests.py --binary build/debug/cloudopt --repo .      (exit 0 pass, 1 fail, 77 skipped)
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("skipped: PyYAML is missing (apt install python3-yaml; scripts/install-deps.sh)")
    sys.exit(77)

problems = []


def check(ok, message):
    if not ok:
        problems.append(message)
    return ok


def run(args, env=None, timeout=60):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--repo", required=True)
    a = parser.parse_args()
    repo, binary = a.repo, a.binary
    deploy = os.path.join(repo, "deploy")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")

    # --- What the binary offers ---------------------------------------------------------------------------------
    top = run([binary, "--help"], env).stdout
    subcommands = set(re.findall(r"^  ([a-z]+)\s{2,}", top.split("Subcommands:")[-1], re.M))
    check("serve" in subcommands, f"`cloudopt --help` lists no serve subcommand: {top}")
    flags_of = {}

    def flags(sub):
        if sub not in flags_of:
            out = run([binary, sub, "--help"], env).stdout
            flags_of[sub] = set(re.findall(r"(--[a-z][a-z0-9-]*)", out))
        return flags_of[sub]

    source = open(os.path.join(repo, "src/app/config.cpp")).read()
    keys = set(re.findall(r'\b(?:Int|Long|Double|Text|Bool)\("([a-z_]+\.[a-z_]+)"', source))
    check(len(keys) > 50, f"found only {len(keys)} config keys in src/app/config.cpp: did the key table move?")
    env_of_key = {"CLOUDOPT_" + k.upper().replace(".", "_"): k for k in keys}
    # Variables the service reads that are not config keys: each must still be in the source.
    app_sources = "".join(open(os.path.join(repo, "src/app", f)).read()
                          for f in os.listdir(os.path.join(repo, "src/app")) if f.endswith(".cpp"))
    extra_env = {n for n in ("CLOUDOPT_ADMIN_USER", "CLOUDOPT_ADMIN_PASSWORD") if f'"{n}"' in app_sources}
    openapi = json.load(open(os.path.join(repo, "src/api/openapi.json")))
    routes = set(openapi.get("paths", {}))

    def check_env(name, where):
        if name.startswith("CLOUDOPT_"):
            check(name in env_of_key or name in extra_env,
                  f"{where}: environment variable {name} is no config key (src/app/config.cpp) the binary reads")

    def check_args(args, where, mounted=()):
        check(bool(args) and args[0] in subcommands, f"{where}: {args[:1]} is not a subcommand of `cloudopt --help`")
        if not args or args[0] not in subcommands:
            return
        known = flags(args[0])
        for i, arg in enumerate(args[1:], 1):
            if arg.startswith("--"):
                flag = arg.split("=", 1)[0]
                check(flag in known, f"{where}: {flag} is not a flag of `cloudopt {args[0]} --help`")
                if flag == "--config" and mounted:
                    path = arg.split("=", 1)[1] if "=" in arg else args[i + 1]
                    check(path in mounted, f"{where}: --config {path} is not a mounted file ({sorted(mounted)})")

    def check_config_text(text, where, extra_env_vars=None):
        """The binary itself reads the config: an unknown key or a bad value is exit 2 naming it. An invalid
        server.port from the environment (applied after the file) proves the file itself was accepted."""
        data = yaml.safe_load(text)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cloudopt.yaml")
            with open(path, "w") as f:
                f.write(text)
            e = dict(env, CLOUDOPT_SERVER_PORT="70000")
            for k in list(e):
                if k.startswith("CLOUDOPT_") and k != "CLOUDOPT_SERVER_PORT":
                    del e[k]
            r = run([binary, "serve", "--config", path, "--data-dir", os.path.join(tmp, "data")], e)
            out = r.stdout + r.stderr
            check(r.returncode == 2 and "server.port" in out,
                  f"{where}: cloudopt refused the config file itself (exit {r.returncode}): {out.strip()[-400:]}")
        return data

    # --- Every YAML file parses ---------------------------------------------------------------------------------
    docs = {}
    for dirpath, _, files in os.walk(deploy):
        for f in sorted(files):
            if f.endswith((".yaml", ".yml")):
                p = os.path.join(dirpath, f)
                try:
                    docs[os.path.relpath(p, repo)] = [d for d in yaml.safe_load_all(open(p)) if d is not None]
                except yaml.YAMLError as e:
                    check(False, f"{p}: not valid YAML: {e}")
    for required in ("deploy/compose.yaml", "deploy/prometheus.yml", "deploy/cloudopt.yaml"):
        check(required in docs, f"{required} is missing")

    # --- Dockerfile ----------------------------------------------------------------------------------------------
    dockerfile = open(os.path.join(deploy, "Dockerfile")).read()
    docker_env = dict(re.findall(r"\b(CLOUDOPT_[A-Z_]+)=(\S+)", dockerfile))
    for name in docker_env:
        check_env(name, "deploy/Dockerfile ENV")
    image_port = int(docker_env.get("CLOUDOPT_SERVER_PORT", "0"))
    check(re.search(rf"^EXPOSE {image_port}$", dockerfile, re.M) is not None,
          f"deploy/Dockerfile: EXPOSE is not CLOUDOPT_SERVER_PORT {image_port}")
    cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
    check(cmd is not None, "deploy/Dockerfile: no CMD")
    if cmd:
        check_args(json.loads(cmd.group(1)), "deploy/Dockerfile CMD")
    health = re.search(r"HEALTHCHECK.*?CMD .*?(/[a-z]+)\"", dockerfile, re.S)
    check(health is not None and health.group(1) in routes,
          f"deploy/Dockerfile: HEALTHCHECK path {health and health.group(1)} is no route of src/api/openapi.json")
    uid = re.search(r"^USER (\d+)", dockerfile, re.M)
    check(uid is not None and uid.group(1) != "0", "deploy/Dockerfile: no non-root numeric USER")
    image_uid = int(uid.group(1)) if uid else -1

    # --- Compose -------------------------------------------------------------------------------------------------
    compose = (docs.get("deploy/compose.yaml") or [{}])[0]
    services = compose.get("services", {})
    compose_config = check_config_text(open(os.path.join(deploy, "cloudopt.yaml")).read(), "deploy/cloudopt.yaml")
    config_port = compose_config.get("server", {}).get("port", 8080)
    check(config_port == image_port, f"deploy/cloudopt.yaml: server.port {config_port} != image's {image_port}")
    replicas = {n: s for n, s in services.items() if "deploy/Dockerfile" == s.get("build", {}).get("dockerfile")}
    check(len(replicas) == 2, f"deploy/compose.yaml: {len(replicas)} cloudopt services built from deploy/Dockerfile, want 2")
    check(any("postgres" in str(s.get("image", "")) for s in services.values()), "deploy/compose.yaml: no PostgreSQL")
    for name, s in replicas.items():
        where = f"deploy/compose.yaml {name}"
        mounts = {}
        for v in s.get("volumes", []):
            parts = v.split(":")
            mounts[parts[1]] = parts[0]
            if parts[0].startswith("./"):
                check(os.path.exists(os.path.join(deploy, parts[0])), f"{where}: {parts[0]} does not exist")
        for sec in s.get("secrets", []):
            mounts["/run/secrets/" + sec] = sec
            check(sec in compose.get("secrets", {}), f"{where}: secret {sec} is not declared")
        check_args(s.get("command", []), where, mounted=set(mounts))
        for k in s.get("environment", {}):
            check_env(k, where)
        for port in s.get("ports", []):
            check(int(str(port).split(":")[-1]) == config_port, f"{where}: port {port} is not server.port {config_port}")
        for key in ("master_key_file", "jwt_key_file"):
            path = compose_config.get("security", {}).get(key)
            check(path in mounts, f"{where}: security.{key} {path} is not mounted")
        check(compose_config.get("store", {}).get("driver") == "postgres", f"{where}: store.driver is not postgres")
    prom = (docs.get("deploy/prometheus.yml") or [{}])[0]
    targets = {t for job in prom.get("scrape_configs", []) for sc in job.get("static_configs", []) for t in sc["targets"]}
    check(targets == {f"{n}:{config_port}" for n in replicas},
          f"deploy/prometheus.yml scrapes {sorted(targets)}, not both replicas on port {config_port}")
    for job in prom.get("scrape_configs", []):
        check(job.get("metrics_path", "/metrics") in routes, f"deploy/prometheus.yml: {job.get('metrics_path')} is no route")
    prom_service = [s for s in services.values() if "prometheus" in str(s.get("image", ""))]
    check(len(prom_service) == 1 and any(v.startswith("./prometheus.yml:") for v in prom_service[0].get("volumes", [])),
          "deploy/compose.yaml: no Prometheus service with deploy/prometheus.yml")

    # --- Kubernetes ----------------------------------------------------------------------------------------------
    objects = [d for path, ds in docs.items() if path.startswith("deploy/kubernetes/") for d in ds if "kind" in d]
    by_kind = {}
    for o in objects:
        by_kind.setdefault(o["kind"], []).append(o)
    for kind in ("Deployment", "Service", "ConfigMap", "Secret", "ServiceAccount", "Role", "RoleBinding",
                 "PodDisruptionBudget"):
        check(len(by_kind.get(kind, [])) == 1, f"deploy/kubernetes: want one {kind}, found {len(by_kind.get(kind, []))}")
    if problems:
        return
    deployment, service = by_kind["Deployment"][0], by_kind["Service"][0]
    configmap, secret = by_kind["ConfigMap"][0], by_kind["Secret"][0]
    role, binding, account = by_kind["Role"][0], by_kind["RoleBinding"][0], by_kind["ServiceAccount"][0]
    pdb = by_kind["PodDisruptionBudget"][0]
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    check(spec.get("replicas") == 2, "Deployment: replicas is not 2")
    labels = spec["template"]["metadata"]["labels"]
    for sel, what in ((spec["selector"]["matchLabels"], "Deployment selector"), (service["spec"]["selector"], "Service"),
                      (pdb["spec"]["selector"]["matchLabels"], "PodDisruptionBudget")):
        check(all(labels.get(k) == v for k, v in sel.items()), f"{what} does not select the pods ({sel} vs {labels})")
    k8s_config = check_config_text(configmap["data"]["cloudopt.yaml"], "ConfigMap cloudopt.yaml")
    k8s_port = k8s_config.get("server", {}).get("port", 8080)
    check(k8s_config.get("server", {}).get("bind_address") == "0.0.0.0", "ConfigMap: server.bind_address is not 0.0.0.0")
    check(pod.get("serviceAccountName") == account["metadata"]["name"], "Deployment: not the ServiceAccount")
    check(pod.get("securityContext", {}).get("runAsNonRoot") is True, "Deployment: runAsNonRoot is not true")
    check(pod.get("securityContext", {}).get("runAsUser") == image_uid, f"Deployment: runAsUser is not the image's {image_uid}")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    (container,) = pod["containers"]
    sc = container.get("securityContext", {})
    check(sc.get("readOnlyRootFilesystem") is True, "Deployment: readOnlyRootFilesystem is not true")
    check(sc.get("allowPrivilegeEscalation") is False, "Deployment: allowPrivilegeEscalation is not false")
    req = container.get("resources", {}).get("requests", {})
    check("cpu" in req and "memory" in req, "Deployment: no cpu and memory requests")
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    check(list(ports.values()) == [k8s_port], f"Deployment: container ports {ports} are not server.port {k8s_port}")

    def port_of(p):
        return ports.get(p) if isinstance(p, str) else p

    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = container.get(probe, {}).get("httpGet", {})
        check(get.get("path") == path and path in routes, f"Deployment: {probe} is not GET {path} (a route)")
        check(port_of(get.get("port")) == k8s_port, f"Deployment: {probe} port {get.get('port')} is not {k8s_port}")
    for sp in service["spec"]["ports"]:
        check(port_of(sp["targetPort"]) == k8s_port, f"Service: targetPort {sp['targetPort']} is not the container port")
    ann = spec["template"]["metadata"].get("annotations", {})
    check(ann.get("prometheus.io/scrape") == "true", "Deployment: no prometheus.io/scrape annotation")
    check(ann.get("prometheus.io/port") == str(k8s_port), "Deployment: prometheus.io/port is not the container port")
    check(ann.get("prometheus.io/path") in routes, "Deployment: prometheus.io/path is no route")
    # Mounts: every file the config names is mounted, from a Secret/ConfigMap key that exists.
    mounted = {}
    for m in container.get("volumeMounts", []):
        v = volumes.get(m["name"])
        check(v is not None, f"Deployment: volumeMount {m['name']} has no volume")
        mounted[m["mountPath"]] = v
        if v and "secret" in v:
            check(v["secret"]["secretName"] == secret["metadata"]["name"], "Deployment: mounts another Secret")
            for item in v["secret"].get("items", []):
                check(item["key"] in secret["stringData"], f"Deployment: Secret has no key {item['key']}")
                mounted[m["mountPath"] + "/" + item["path"]] = v
        if v and "configMap" in v:
            check(v["configMap"]["name"] == configmap["metadata"]["name"], "Deployment: mounts another ConfigMap")
            check(m.get("subPath", "cloudopt.yaml") in configmap["data"], f"Deployment: ConfigMap has no {m.get('subPath')}")
    check(mounted.get("/tmp", {}).get("emptyDir") is not None, "Deployment: no emptyDir on /tmp")
    data_dir = k8s_config.get("storage", {}).get("data_dir")
    check(data_dir in mounted, f"Deployment: storage.data_dir {data_dir} is not a writable volume")
    for key in ("master_key_file", "jwt_key_file"):
        path = k8s_config.get("security", {}).get(key)
        check(path in mounted, f"Deployment: security.{key} {path} is not mounted")
    check_args(list(container.get("command", [])) + list(container.get("args", [])), "Deployment container",
               mounted=set(mounted))
    for e in container.get("env", []):
        check_env(e["name"], "Deployment container")
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            check(ref["name"] == secret["metadata"]["name"] and ref["key"] in secret["stringData"],
                  f"Deployment: {e['name']} names a missing Secret key {ref}")
    names = {e["name"] for e in container.get("env", [])}
    check("CLOUDOPT_STORE_PASSWORD" in names and (k8s_config.get("store", {}).get("url") or "CLOUDOPT_STORE_URL" in names),
          "Deployment: the store's URL and password do not come from the Secret")
    check(pdb["spec"].get("minAvailable") == 1, "PodDisruptionBudget: minAvailable is not 1")

    # RBAC: exactly the calls of src/providers/kubernetes.cpp.
    driver = open(os.path.join(repo, "src/providers/kubernetes.cpp")).read()
    kinds = {"deployments"} | {k + "s" for k in re.findall(r'parts\[1\] == "([a-z]+)"', driver)}
    methods = set(re.findall(r'Call\("([A-Z]+)"', driver))
    want = {}
    for m in methods:
        if "/scale" in driver and m in ("GET", "PATCH"):
            for k in kinds:
                want.setdefault(k + "/scale", set()).add(m.lower())
    if re.search(r'Call\("GET", base, ', driver):
        for k in kinds:
            want.setdefault(k, set()).add("get")
    # The rollout restart of anomaly remediation (a strategic merge patch of the workload's pod template) is off by
    # default, and so is its permission: "patch" on the whole workload would let cloudopt change its image too. The
    # Role names the opt-in line, commented out.
    if re.search(r'Call\("PATCH", path \+ "\?fieldManager=', driver):
        rbac_text = open(os.path.join(repo, "deploy/kubernetes/serviceaccount.yaml")).read()
        check('# verbs: ["get", "patch"]' in rbac_text and "rollout_restart" in rbac_text,
              "serviceaccount.yaml: the Role does not say how to allow rollout_restart (a commented patch verb)")
    got = {}
    for rule in role.get("rules", []):
        check(rule.get("apiGroups") == ["apps"], f"Role: apiGroups {rule.get('apiGroups')} is not [apps]")
        for r in rule["resources"]:
            got.setdefault(r, set()).update(rule["verbs"])
    check(got == want, f"Role allows {got}, the Kubernetes driver calls {want}")
    check(binding["roleRef"]["name"] == role["metadata"]["name"] and
          binding["subjects"][0]["name"] == account["metadata"]["name"] and
          binding["subjects"][0]["namespace"] == account["metadata"]["namespace"],
          "RoleBinding does not bind the Role to the ServiceAccount")

    # The pending lease work is said where two replicas are run.
    for f in ("deploy/compose.yaml", "deploy/kubernetes/deployment.yaml"):
        check("leases" in open(os.path.join(repo, f)).read(), f"{f}: says nothing about the pending leases")


if __name__ == "__main__":
    main()
    if problems:
        print("deployment files disagree with the binary:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("deployment files: every argument, port, probe, variable and config key checked")
