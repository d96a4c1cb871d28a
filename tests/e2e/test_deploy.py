"""deploy/: what a user copies to run pdfpipe for real is checked with the
tools that will read it.

- `cmake --install` (DESTDIR, prefix /usr/local) puts the programs where
  the systemd units, the Kubernetes manifests and the Containerfile run
  them, and the units and sysusers.d file where systemd looks.
- `systemd-analyze verify` passes on the installed units, silently.
- The environment file and the manifests give only options and variables
  the programs take (checked against their --help).
- Every manifest parses (PyYAML); Deployments, Services, Secrets,
  ConfigMaps, volumes and endpoints refer to one another consistently;
  kubectl accepts them (`apply --dry-run=client --validate=false` when a
  cluster answers, else a local decode of every object).

SPDX-License-Identifier: MPL-2.0
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from pipeline import BUILD_DIR, SOURCE_DIR  # noqa: E402

try:
    import yaml
except ImportError:     # python3-yaml (scripts/install-deps.sh)
    yaml = None

DEPLOY = os.path.join(SOURCE_DIR, "deploy")
UNITS = ["pdfpipe.target", "pdfpipe-ventilator.service",
         "pdfpipe-sink.service", "pdfpipe-worker@.service"]
PROGRAMS = ["pdfpipe-ventilator", "pdfpipe-sink", "pdfpipe-worker", "pdfpipe"]
PREFIX = "/usr/local"


def install(destdir):
    """cmake --install of the build tree under destdir; the installed
    paths, relative to destdir ("/usr/local/bin/pdfpipe-sink", ...)."""
    done = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix",
                           PREFIX], env=dict(os.environ, DESTDIR=destdir),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    paths = set()
    for root, _, files in os.walk(destdir):
        for name in files:
            paths.add(os.path.join(root, name)[len(destdir):])
    return paths


def program_help(name):
    sub = {"pdfpipe-ventilator": "ventilator", "pdfpipe-sink": "sink",
           "pdfpipe-worker": "worker"}[name]
    return subprocess.run([os.path.join(BUILD_DIR, sub, name), "--help"],
                          check=True, capture_output=True, text=True).stdout


def exec_start(unit_text):
    """The ExecStart command line of a unit, continuation lines joined."""
    joined = unit_text.replace("\\\n", " ")
    match = re.search(r"^ExecStart=(.*)$", joined, flags=re.M)
    assert match, "no ExecStart"
    return match.group(1).split()


def check_options(test, program, args):
    """Each --option in args is one program's --help lists."""
    text = program_help(program)
    for arg in args:
        if arg.startswith("--"):
            option = arg.split("=")[0]
            test.assertRegex(text, r"\s%s[\s=]" % re.escape(option),
                             "%s takes no %s" % (program, option))


class InstallAndUnitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pdfpipe-deploy-")
        cls.root = os.path.join(cls.tmp, "root")
        cls.installed = install(cls.root)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def read_unit(self, name):
        with open(os.path.join(DEPLOY, "systemd", name)) as f:
            return f.read()

    def test_install_puts_everything_where_it_is_used(self):
        for program in PROGRAMS:
            path = PREFIX + "/bin/" + program
            self.assertIn(path, self.installed)
            self.assertTrue(os.access(self.root + path, os.X_OK), path)
        for unit in UNITS:
            self.assertIn(PREFIX + "/lib/systemd/system/" + unit,
                          self.installed)
        self.assertIn(PREFIX + "/lib/sysusers.d/pdfpipe.conf", self.installed)
        self.assertIn(PREFIX + "/share/doc/pdfpipe/pdfpipe.env",
                      self.installed)
        self.assertIn(PREFIX + "/share/doc/pdfpipe/deploy.md", self.installed)
        # What the units, the Containerfile and the manifests run.
        for unit in UNITS[1:]:
            self.assertIn(exec_start(self.read_unit(unit))[0],
                          self.installed, unit)
        with open(os.path.join(DEPLOY, "container", "Containerfile")) as f:
            containerfile = f.read()
        copied = re.findall(r"(/usr/local/bin/[\w-]+)", containerfile)
        self.assertEqual(set(copied), {PREFIX + "/bin/" + p for p in PROGRAMS})
        for manifest in glob.glob(os.path.join(DEPLOY, "kubernetes", "*.yaml")):
            with open(manifest) as f:
                for path in re.findall(r'"(/usr/local/bin/[\w-]+)"', f.read()):
                    self.assertIn(path, self.installed, manifest)

    def test_units_name_the_sysusers_user_and_harden(self):
        with open(os.path.join(DEPLOY, "systemd", "sysusers.d",
                               "pdfpipe.conf")) as f:
            user = re.search(r"^u (\S+) ", f.read(), flags=re.M).group(1)
        for unit in UNITS[1:]:
            text = self.read_unit(unit)
            self.assertIn("\nUser=%s\n" % user, text, unit)
            self.assertIn("\nEnvironmentFile=/etc/pdfpipe/pdfpipe.env\n", text)
            for setting in ("NoNewPrivileges=yes", "ProtectSystem=strict",
                            "CapabilityBoundingSet=\n",
                            "SystemCallFilter=@system-service"):
                self.assertIn("\n" + setting, text, unit)
            self.assertIn("\nWantedBy=pdfpipe.target\n", text, unit)
            argv = exec_start(text)
            check_options(self, os.path.basename(argv[0]), argv[1:])

    def test_environment_file_sets_only_variables_the_programs_read(self):
        helps = "".join(program_help(p) for p in PROGRAMS[:3])
        with open(os.path.join(DEPLOY, "systemd", "pdfpipe.env")) as f:
            names = re.findall(r"^#?(PDFPIPE_\w+)=", f.read(), flags=re.M)
        self.assertGreaterEqual(len(names), 8)
        for name in names:
            self.assertIn("env %s" % name, helps)

    def test_systemd_analyze_verify(self):
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            self.skipTest("systemd-analyze is not installed (Debian package "
                          "systemd; scripts/install-deps.sh)")
        # The units as installed, run from the DESTDIR tree, so that verify
        # finds the programs they name exactly where install put them.
        units_dir = tempfile.mkdtemp(prefix="units-", dir=self.tmp)
        for unit in UNITS:
            with open(self.root + PREFIX + "/lib/systemd/system/" + unit) as f:
                text = f.read()
            text = text.replace(PREFIX + "/bin/", self.root + PREFIX + "/bin/")
            with open(os.path.join(units_dir, unit), "w") as f:
                f.write(text)
        shutil.copy(os.path.join(units_dir, "pdfpipe-worker@.service"),
                    os.path.join(units_dir, "pdfpipe-worker@1.service"))
        paths = [os.path.join(units_dir, name)
                 for name in UNITS + ["pdfpipe-worker@1.service"]]
        done = subprocess.run([analyze, "verify", "--man=no"] + paths,
                              capture_output=True, text=True, timeout=120)
        if "Failed to initialize manager" in done.stderr or \
                "Failed to setup working directory" in done.stderr:
            self.skipTest("systemd-analyze cannot run here: " +
                          done.stderr.strip()[:300])
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertEqual(done.stdout + done.stderr, "",
                         "systemd-analyze verify complains")

        # It can fail: a misspelt setting and a missing program.
        with open(paths[1]) as f:
            broken = f.read().replace("Restart=on-failure", "Restart=sometimes")
        broken = broken.replace(self.root + PREFIX + "/bin/pdfpipe-ventilator",
                                "/nonexistent/pdfpipe-ventilator")
        bad_path = os.path.join(units_dir, "pdfpipe-broken.service")
        with open(bad_path, "w") as f:
            f.write(broken)
        done = subprocess.run([analyze, "verify", "--man=no", bad_path],
                              capture_output=True, text=True, timeout=120)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("sometimes", done.stderr)
        self.assertIn("/nonexistent/pdfpipe-ventilator", done.stderr)


def load_manifests():
    """{file name: [objects]} of deploy/kubernetes."""
    out = {}
    for path in sorted(glob.glob(os.path.join(DEPLOY, "kubernetes",
                                              "*.yaml"))):
        with open(path) as f:
            out[os.path.basename(path)] = [doc for doc in
                                           yaml.safe_load_all(f) if doc]
    return out


def short_name(resource):
    """"kind/name" of kubectl's "deployment.apps/pdfpipe-sink"."""
    kind, name = resource.split("/", 1)
    return kind.split(".")[0] + "/" + name


@unittest.skipIf(yaml is None, "PyYAML is not installed (Debian package "
                 "python3-yaml; scripts/install-deps.sh)")
class KubernetesManifestsTest(unittest.TestCase):
    def setUp(self):
        self.files = load_manifests()
        self.objects = [obj for objs in self.files.values() for obj in objs]

    def named(self, kind):
        return {obj["metadata"]["name"]: obj for obj in self.objects
                if obj["kind"] == kind}

    def test_every_object_is_complete_and_in_the_namespace(self):
        self.assertGreaterEqual(len(self.objects), 12)
        for name, objects in self.files.items():
            with open(os.path.join(DEPLOY, "kubernetes", name)) as f:
                self.assertIn("Tested with:", f.read(), name)
            for obj in objects:
                for field in ("apiVersion", "kind", "metadata"):
                    self.assertIn(field, obj, name)
                self.assertIsInstance(obj["metadata"]["name"], str, name)
                if obj["kind"] != "Namespace":
                    self.assertEqual(obj["metadata"].get("namespace"),
                                     "pdfpipe", (name, obj["metadata"]))
        self.assertEqual(set(self.named("Deployment")),
                         {"pdfpipe-ventilator", "pdfpipe-sink",
                          "pdfpipe-worker"})

    def test_references_agree(self):
        deployments = self.named("Deployment")
        secrets = self.named("Secret")
        config_maps = self.named("ConfigMap")
        claims = self.named("PersistentVolumeClaim")
        services = self.named("Service")
        for name, deployment in deployments.items():
            spec = deployment["spec"]
            labels = spec["template"]["metadata"]["labels"]
            self.assertLessEqual(spec["selector"]["matchLabels"].items(),
                                 labels.items(), name)
            pod = spec["template"]["spec"]
            volumes = {v["name"]: v for v in pod["volumes"]}
            (container,) = pod["containers"]
            self.assertTrue(container["image"], name)
            program = os.path.basename(container["command"][0])
            check_options(self, program, container["args"])
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    self.assertIn(source["configMapRef"]["name"], config_maps)
                if "secretRef" in source:
                    self.assertIn(source["secretRef"]["name"], secrets)
            mounts = {m["mountPath"]: volumes[m["name"]]
                      for m in container["volumeMounts"]}
            for volume in volumes.values():
                if "secret" in volume:
                    self.assertIn(volume["secret"]["secretName"], secrets)
                if "configMap" in volume:
                    self.assertIn(volume["configMap"]["name"], config_maps)
                if "persistentVolumeClaim" in volume:
                    self.assertIn(volume["persistentVolumeClaim"]["claimName"],
                                  claims)
            # Each key file named is in the Secret mounted where it lies.
            for arg in container["args"]:
                match = re.match(r"--(cert|\w+-key)=(.*)/([^/]+)$", arg)
                if not match:
                    continue
                volume = mounts[match.group(2)]
                secret = secrets[volume["secret"]["secretName"]]
                self.assertIn(match.group(3), secret["stringData"], arg)
            self.assertTrue(container["securityContext"]
                            ["readOnlyRootFilesystem"])
            self.assertFalse(container["securityContext"]
                             ["allowPrivilegeEscalation"])
        for name, service in services.items():
            (target,) = [d for d in deployments.values()
                         if service["spec"]["selector"].items() <=
                         d["spec"]["template"]["metadata"]["labels"].items()]
            (container,) = target["spec"]["template"]["spec"]["containers"]
            ports = {p["name"] for p in container["ports"]}
            for port in service["spec"]["ports"]:
                self.assertIn(port["targetPort"], ports, name)
        # Every endpoint a process connects to is a Service's port.
        offered = {(name, port["port"]) for name, service in services.items()
                   for port in service["spec"]["ports"]}
        text = "".join(open(os.path.join(DEPLOY, "kubernetes", f)).read()
                       for f in self.files)
        endpoints = re.findall(r"tcp://(pdfpipe-[\w-]+):(\d+)", text)
        self.assertGreaterEqual(len(endpoints), 3)
        for host, port in endpoints:
            self.assertIn((host, int(port)), offered)
        # The environment the ConfigMap gives is what the programs read.
        helps = "".join(program_help(p) for p in PROGRAMS[:3])
        for name in config_maps["pdfpipe-config"]["data"]:
            if name.startswith("PDFPIPE_"):
                self.assertIn("env %s" % name, helps)

    def test_scaled_object_targets_the_workers_on_the_desired_count(self):
        (scaled,) = self.named("ScaledObject").values()
        self.assertEqual(scaled["spec"]["scaleTargetRef"]["name"],
                         "pdfpipe-worker")
        (trigger,) = scaled["spec"]["triggers"]
        self.assertIn("pdfpipe_workers_desired", trigger["metadata"]["query"])
        # The metric it reads is one the ventilator publishes.
        with open(os.path.join(SOURCE_DIR, "ventilator", "metrics.c")) as f:
            self.assertIn('"workers_desired"', f.read())

    def test_kubectl_accepts_the_manifests(self):
        kubectl = shutil.which("kubectl")
        if not kubectl:
            self.skipTest("kubectl is not installed (Debian package "
                          "kubernetes-client; scripts/install-deps.sh)")
        directory = os.path.join(DEPLOY, "kubernetes")
        # Without a configured cluster, kubectl would try localhost:8080,
        # where a pdfpipe ventilator may well listen: aim it at a port
        # nobody serves instead.
        configured = os.environ.get("KUBECONFIG") or os.path.exists(
            os.path.expanduser("~/.kube/config"))
        server = [] if configured else ["--server=http://127.0.0.1:1"]
        done = subprocess.run([kubectl, "apply", "--dry-run=client",
                               "--validate=false", "--request-timeout=10s",
                               "-f", directory] + server,
                              capture_output=True, text=True, timeout=120)
        expected = {"%s/%s" % (obj["kind"].lower(), obj["metadata"]["name"])
                    for obj in self.objects}
        if done.returncode == 0:
            # "deployment.apps/pdfpipe-sink created (dry run)"
            applied = {short_name(line.split()[0])
                       for line in done.stdout.splitlines() if line}
            self.assertEqual(applied, expected, done.stdout)
            return
        self.assertRegex(done.stderr, r"connection refused|unable to connect|"
                         r"couldn't get current server", done.stderr[:2000])
        print("kubectl: no cluster answers; decoding every object locally")
        decoded = set()
        for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
            done = subprocess.run([kubectl, "annotate", "--local", "-f", path,
                                   "pdfpipe.dev/checked=yes",
                                   "--dry-run=client", "-o", "name"],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(done.returncode, 0, path + "\n" + done.stderr)
            decoded.update(short_name(line) for line in done.stdout.split())
        self.assertEqual(decoded, expected)


class ContainerfileTest(unittest.TestCase):
    def test_two_debian_12_stages_with_packages_debian_has(self):
        with open(os.path.join(DEPLOY, "container", "Containerfile")) as f:
            text = f.read()
        stages = re.findall(r"^FROM (\S+)", text, flags=re.M)
        self.assertEqual(len(stages), 2, stages)
        for image in stages:
            self.assertRegex(image, r"debian:12\b")
        self.assertIn("cmake --install", text)
        self.assertIn("COPY --from=build", text)
        self.assertRegex(text, r"(?m)^USER \d+")
        packages = re.search(r"apt-get install -y --no-install-recommends"
                             r"((?:\s+\\?\s*[\w.+-]+)+)", text).group(1)
        packages = packages.replace("\\", " ").split()
        self.assertIn("libczmq4", packages)
        if not shutil.which("apt-cache"):
            self.skipTest("apt-cache is missing: cannot check package names")
        policy = subprocess.run(["apt-cache", "policy"] + packages,
                                capture_output=True, text=True).stdout
        known = re.findall(r"^(\S+):\n\s+Installed: .*\n\s+Candidate: "
                           r"(?!\(none\))", policy, flags=re.M)
        self.assertEqual(sorted(known), sorted(packages), policy)


if __name__ == "__main__":
    unittest.main()
