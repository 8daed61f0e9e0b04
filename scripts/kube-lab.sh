#!/usr/bin/env bash
# The test cluster: a real one-node Kubernetes built from upstream source, run as host processes.
#
#   scripts/kube-lab.sh build    build (or reuse) the pinned upstream binaries
#   scripts/kube-lab.sh build-kwok   build (or reuse) kwok, the fake kubelet of the benchmarks
#   scripts/kube-lab.sh up       build if needed, start the cluster; last line: KUBECONFIG=<path>
#   scripts/kube-lab.sh down     stop it; no process, mount, interface, netns or iptables rule is left
#   scripts/kube-lab.sh status   what runs, and where its logs are
#   scripts/kube-lab.sh fingerprint   the host state `down` must restore (processes, mounts, links,
#                                     addresses, routes, network namespaces, iptables)
#   scripts/kube-lab.sh load-image ARCHIVE...   import image archives into the node's containerd
#   scripts/kube-lab.sh restart-apiserver        stop and start the API server (a fault for tests)
#
# Test infrastructure, not a product feature: see docs/kube-lab.md. Runs as root.
#
# Every cluster address is on an interface this script creates: the node address on a bridge
# with no ports, pods on a bridge the CNI plugin makes from this script's configuration. Pods get no
# default route and no masquerading, the host forwards nothing out of the pod bridge, and the
# service range is unreachable unless kube-proxy translates it into one of those addresses.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
lab_src=$here/test/kube-lab

# Pinned upstream versions. The Go wrapper modules under test/kube-lab/go pin the same versions.
K8S_VERSION=${SPARKPLANE_LAB_K8S_VERSION:-1.36.3}
ETCD_VERSION=3.6.16
COREDNS_VERSION=1.14.7
HELM_VERSION=3.22.0
CRICTL_VERSION=1.37.0
KWOK_VERSION=0.8.0

CACHE=${SPARKPLANE_KUBE_LAB_CACHE:-/var/cache/sparkplane-kube-lab}
W=/var/lib/sparkplane-kube-lab
R=/run/sparkplane-kube-lab
BIN=$CACHE/bin

NODE_IF=splab0
NODE_IP=10.250.0.1
NODE_NAME=splab-node
BRIDGE=splab-br0
POD_CIDR=10.244.0.0/24
POD_GW=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
SERVICE_API_IP=10.96.0.1
APISERVER=https://$NODE_IP:6443
SOCK=$R/containerd/containerd.sock

log() { printf 'kube-lab: %s\n' "$*" >&2; }
die() { printf 'kube-lab: error: %s\n' "$*" >&2; exit 1; }

k8s_bin() { echo "$BIN/k8s-v$K8S_VERSION"; }

# --- build ------------------------------------------------------------------------------------

go_env() {
  export GOMODCACHE=$CACHE/gomod GOCACHE=$CACHE/gobuild GOTOOLCHAIN=local
  # The wrapper modules' go.sum files pin every module: nothing is resolved anew.
  export GOFLAGS="-buildvcs=false -trimpath -mod=readonly"
}

# go_build MODULE_DIR OUT_DIR LDFLAGS PACKAGE... : one `go build` per module, into OUT_DIR.partial,
# renamed when complete so an interrupted build is never taken for a finished one.
go_build() {
  local mod=$1 out=$2 ldflags=$3; shift 3
  [ -d "$out" ] && return 0
  local t0; t0=$(date +%s)
  log "building $(basename "$out") (cold: minutes; cached in $out afterwards)"
  rm -rf "$out.partial"; mkdir -p "$out.partial"
  (cd "$lab_src/go/$mod" && go build -p 2 -ldflags "$ldflags" -o "$out.partial/" "$@")
  mv "$out.partial" "$out"
  log "built $(basename "$out") in $(( $(date +%s) - t0 )) s"
}

cmd_build() {
  command -v go >/dev/null || die "go is missing: install Go 1.26 (the machines have it in /usr/local/go)"
  go_env
  local minor; minor=$(cut -d. -f2 <<<"$K8S_VERSION")
  local ldf="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldf+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  CGO_ENABLED=0 go_build k8s "$(k8s_bin)" "$ldf" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-proxy k8s.io/kubernetes/cmd/kubectl
  CGO_ENABLED=0 go_build etcd "$BIN/etcd-v$ETCD_VERSION" "-s -w" go.etcd.io/etcd/server/v3
  # A module path ending in /v3 names its binary after the element before it.
  [ -x "$BIN/etcd-v$ETCD_VERSION/etcd" ] || mv "$BIN/etcd-v$ETCD_VERSION/server" "$BIN/etcd-v$ETCD_VERSION/etcd"
  CGO_ENABLED=0 go_build coredns "$BIN/coredns-v$COREDNS_VERSION" "-s -w" .
  local hl="-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION"
  hl+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
  hl+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$minor"
  CGO_ENABLED=0 go_build helm "$BIN/helm-v$HELM_VERSION" "$hl" helm.sh/helm/v3/cmd/helm
  CGO_ENABLED=0 go_build crictl "$BIN/crictl-v$CRICTL_VERSION" "-s -w" sigs.k8s.io/cri-tools/cmd/crictl
  mkdir -p "$BIN/current"
  ln -sfn "$(k8s_bin)"/* "$BIN/etcd-v$ETCD_VERSION/etcd" "$BIN/coredns-v$COREDNS_VERSION/coredns" \
    "$BIN/helm-v$HELM_VERSION/helm" "$BIN/crictl-v$CRICTL_VERSION/crictl" "$BIN/current/"
}

# kwok's fake kubelet, for the operator benchmarks on the lab (bench/operator.sh --kube ... lag).
# Not part of `build`: the cluster itself does not need it.
cmd_build_kwok() {
  command -v go >/dev/null || die "go is missing: install Go 1.26 (the machines have it in /usr/local/go)"
  go_env
  CGO_ENABLED=0 go_build kwok "$BIN/kwok-v$KWOK_VERSION" "-s -w" sigs.k8s.io/kwok/cmd/kwok
  echo "$BIN/kwok-v$KWOK_VERSION/kwok"
}

# --- host preparation ---------------------------------------------------------------------------

need_packages() {
  local need=() c
  for c in containerd:containerd runc:runc iptables:iptables conntrack:conntrack openssl:openssl \
           ip:iproute2 nsenter:util-linux curl:curl; do
    command -v "${c%%:*}" >/dev/null || need+=("${c#*:}")
  done
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  if ((${#need[@]})); then
    log "installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
}

host_network_up() {
  # A bridge with no ports holds the node address: the kernels here have no dummy interfaces.
  ip link show "$NODE_IF" >/dev/null 2>&1 || ip link add "$NODE_IF" type bridge
  ip addr replace "$NODE_IP/32" dev "$NODE_IF"
  ip link set "$NODE_IF" up
  # Service addresses that kube-proxy does not translate go nowhere.
  ip route replace unreachable "$SERVICE_CIDR"
  sysctl -qw net.ipv4.ip_forward=1
  [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] && sysctl -qw net.bridge.bridge-nf-call-iptables=1
  # Nothing that enters from the pod bridge is forwarded anywhere but back onto it (in mangle,
  # which is passed before the filter rules kube-proxy keeps first in line).
  iptables -t mangle -C FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j DROP -m comment --comment splab 2>/dev/null \
    || iptables -t mangle -I FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j DROP -m comment --comment splab
  iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT -m comment --comment splab 2>/dev/null \
    || iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT -m comment --comment splab
  # The kubelet sets these itself unless they already hold these values.
  sysctl -qw vm.overcommit_memory=1 vm.panic_on_oom=0 kernel.panic=10 kernel.panic_on_oops=1 \
    kernel.keys.root_maxkeys=1000000 kernel.keys.root_maxbytes=25000000 || true
  mount --make-rshared / 2>/dev/null || true
}

# --- PKI and kubeconfigs ------------------------------------------------------------------------

pki() {
  local P=$W/pki
  [ -f "$P/done" ] && return 0
  mkdir -p "$P"; (
    cd "$P"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj /CN=splab-ca \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    cert() { # name CN O EKU [SAN]
      openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2${3:+/O=$3}" 2>/dev/null
      printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n%s\n' "$4" \
        "${5:+subjectAltName=$5}" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    }
    cert apiserver kube-apiserver "" serverAuth "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$SERVICE_API_IP,IP:$NODE_IP"
    cert apiserver-kubelet-client kube-apiserver-kubelet-client "" clientAuth
    cert admin splab-admin system:masters clientAuth
    cert kcm system:kube-controller-manager "" clientAuth
    cert scheduler system:kube-scheduler "" clientAuth
    cert kubelet "system:node:$NODE_NAME" system:nodes clientAuth
    cert kubelet-serving "system:node:$NODE_NAME" system:nodes serverAuth "DNS:$NODE_NAME,IP:$NODE_IP"
    cert kube-proxy system:kube-proxy "" clientAuth
    cert coredns splab-coredns "" clientAuth
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 600 ./*.key
    touch done
  )
}

kubeconfig() { # name -> $W/name.kubeconfig, certificates embedded
  local name=$1 P=$W/pki
  cat >"$W/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: splab
  cluster:
    server: $APISERVER
    certificate-authority-data: $(base64 -w0 "$P/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 "$P/$name.crt")
    client-key-data: $(base64 -w0 "$P/$name.key")
contexts:
- name: splab
  context: {cluster: splab, user: $name}
current-context: splab
EOF
  chmod 600 "$W/$name.kubeconfig"
}

# --- processes ----------------------------------------------------------------------------------

start() { # name command... : runs in the background, its pid in $R/name.pid, output in $W/log/name.log
  local name=$1; shift
  if [ -f "$R/$name.pid" ] && kill -0 "$(cat "$R/$name.pid")" 2>/dev/null; then return 0; fi
  setsid "$@" >>"$W/log/$name.log" 2>&1 </dev/null &
  echo $! >"$R/$name.pid"
}

wait_for() { # what seconds command...
  local what=$1 secs=$2; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) > deadline )); then
      die "$what did not come up within ${secs}s; see $W/log/"
    fi
    sleep 0.5
  done
}

kc() { "$BIN/current/kubectl" --kubeconfig "$W/admin.kubeconfig" "$@"; }

write_configs() {
  local b=$BIN/current
  mkdir -p "$W/log" "$R/containerd" "$W/kubelet" "$W/cni/net.d" "$W/cni/networks"
  # A private containerd: its own socket, state and configuration; its content store lives in the
  # cache so that imported images survive `down`.
  cat >"$W/containerd.toml" <<EOF
version = 2
root = "$CACHE/containerd"
state = "$R/containerd/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/sparkplane-lab/pause:1"
  enable_selinux = false
  # The machines here withhold CAP_SYS_RESOURCE, so a negative OOM score (the kubelet asks for
  # -998 for sandboxes) cannot be set; start containers at the runtime's own score instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$W/certs.d"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$W/cni/net.d"
[plugins."io.containerd.internal.v1.opt"]
  path = "$R/containerd/opt"
EOF
  # Images come only from imports. A pull of a name the node does not have goes to a closed port
  # on loopback, never to the public registries those names would otherwise resolve to.
  local reg
  for reg in docker.io registry.k8s.io quay.io ghcr.io gcr.io; do
    mkdir -p "$W/certs.d/$reg"
    printf 'server = "http://127.0.0.1:9"\n' >"$W/certs.d/$reg/hosts.toml"
  done
  # No default route and no masquerading: a pod reaches pods, services and the node, nothing else.
  cat >"$W/cni/net.d/10-splab.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "splab", "plugins": [
  {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "dataDir": "$W/cni/networks",
            "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$POD_GW"}]],
            "routes": [{"dst": "$SERVICE_CIDR"}, {"dst": "$NODE_IP/32"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}
]}
EOF
  : >"$W/resolv.conf"
  cat >"$W/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $W/pki/kubelet-serving.crt
tlsPrivateKeyFile: $W/pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $W/pki/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
clusterDNS: [$NODE_IP]
resolvConf: $W/resolv.conf
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 1Gi, nodefs.inodesFree: 1%, imagefs.available: 1Gi}
protectKernelDefaults: false
maxPods: 110
EOF
  cat >"$W/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $W/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
mode: iptables
clusterCIDR: $POD_CIDR
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
EOF
  cat >"$W/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:18080
    ready 127.0.0.1:18181
    cache 30
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $W/coredns.kubeconfig splab
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
}
EOF
  # Metadata of every request, so a test can show which rights the operator really used.
  cat >"$W/audit-policy.yaml" <<EOF
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  users: [system:kube-proxy, "system:node:$NODE_NAME", system:kube-scheduler, splab-coredns, system:apiserver]
- level: None
  userGroups: [system:nodes]
- level: Metadata
EOF
  : "$b"
}

start_apiserver() {
  local P=$W/pki
  start kube-apiserver "$BIN/current/kube-apiserver" --etcd-servers http://127.0.0.1:23790 \
    --bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port 6443 \
    --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" --client-ca-file "$P/ca.crt" \
    --kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$P/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction --profiling=false \
    --audit-policy-file "$W/audit-policy.yaml" --audit-log-path "$W/log/audit.log" \
    --audit-log-maxsize 200 --audit-log-maxbackup 1 --v 1
}

apiserver_ready() { curl -sf --cacert "$W/pki/ca.crt" --cert "$W/pki/admin.crt" --key "$W/pki/admin.key" "$APISERVER/readyz"; }

cmd_up() {
  [ "$(id -u)" = 0 ] || die "must run as root (it starts a kubelet and changes the host's network)"
  need_packages
  if [ ! -f "$R/etcd.pid" ] && iptables-save 2>/dev/null | grep -qE '^:KUBE-'; then
    die "this machine has Kubernetes iptables chains that are not the lab's: is another node running here? (scripts/kube-lab.sh down removes a crashed lab's)"
  fi
  cmd_build
  local t0; t0=$(date +%s)
  mkdir -p "$W/log" "$R"
  host_network_up
  pki
  for n in admin kcm scheduler kubelet kube-proxy coredns; do kubeconfig "$n"; done
  write_configs
  local b=$BIN/current P=$W/pki

  start etcd "$b/etcd" --name splab --data-dir "$W/etcd" --unsafe-no-fsync \
    --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
    --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
    --initial-cluster splab=http://127.0.0.1:23800 --listen-metrics-urls http://127.0.0.1:23810 \
    --log-level warn
  start_apiserver
  wait_for kube-apiserver 120 apiserver_ready
  # The API server's own client identity may read logs and exec through the kubelet; CoreDNS reads
  # services and endpoints.
  kc apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: splab:apiserver-kubelet-client}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: system:kubelet-api-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: kube-apiserver-kubelet-client}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: splab:coredns}
rules:
- {apiGroups: [""], resources: [endpoints, services, pods, namespaces], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: splab:coredns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: splab:coredns}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: splab-coredns}]
EOF
  start kube-controller-manager "$b/kube-controller-manager" --kubeconfig "$W/kcm.kubeconfig" \
    --authentication-kubeconfig "$W/kcm.kubeconfig" --authorization-kubeconfig "$W/kcm.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials \
    --service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" \
    --cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --profiling=false --v 1
  start kube-scheduler "$b/kube-scheduler" --kubeconfig "$W/scheduler.kubeconfig" \
    --authentication-kubeconfig "$W/scheduler.kubeconfig" --authorization-kubeconfig "$W/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --leader-elect=false --profiling=false --v 1
  start containerd containerd --config "$W/containerd.toml"
  wait_for containerd 60 ctr -a "$SOCK" version
  load_pause
  start kubelet "$b/kubelet" --config "$W/kubelet.yaml" --kubeconfig "$W/kubelet.kubeconfig" \
    --root-dir "$W/kubelet" --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" --v 1
  start kube-proxy "$b/kube-proxy" --config "$W/kube-proxy.yaml" --v 1
  start coredns "$b/coredns" -conf "$W/Corefile"
  wait_for "node $NODE_NAME" 180 kc wait --for=condition=Ready "node/$NODE_NAME" --timeout=5s
  wait_for "the default service account" 60 kc -n default get serviceaccount default
  wait_for "cluster DNS" 60 curl -sf http://127.0.0.1:18181/ready
  log "cluster up in $(( $(date +%s) - t0 )) s (Kubernetes v$K8S_VERSION; logs in $W/log)"
  echo "KUBECONFIG=$W/admin.kubeconfig"
}

# The pause image holds every pod's namespaces; it is our own static binary (test/kube-lab/pause),
# built by scripts/images.sh, because no registry can be pulled from here.
load_pause() {
  if ctr -a "$SOCK" -n k8s.io images ls -q | grep -qx 'docker.io/sparkplane-lab/pause:1'; then return 0; fi
  local line archive
  line=$("$here/scripts/images.sh" build --pause --out "$CACHE/archives" | grep '^IMAGE sparkplane-lab/pause:1 ')
  archive=${line##* }
  cmd_load_image "$archive"
}

# Imported images are pinned: the kubelet's image garbage collection would otherwise delete
# them under disk pressure (seen here), and nothing could pull them back.
cmd_load_image() {
  local a out ref
  for a in "$@"; do
    [ -f "$a" ] || die "no image archive at $a"
    out=$(ctr -a "$SOCK" -n k8s.io images import --snapshotter overlayfs "$a") \
      || die "containerd could not import $a"
    for ref in $(sed -nE 's/^unpacking ([^ ]+) .*/\1/p' <<<"$out"); do
      ctr -a "$SOCK" -n k8s.io images label "$ref" io.cri-containerd.pinned=pinned >/dev/null
    done
  done
}

# --- teardown -----------------------------------------------------------------------------------

stop() { # name [signal]
  local name=$1 sig=${2:-TERM} pid
  [ -f "$R/$name.pid" ] || return 0
  pid=$(cat "$R/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$R/$name.pid"
}

# Restarts the API server (a fault the tests inject): the same flags, the same state in etcd.
cmd_restart_apiserver() {
  stop kube-apiserver
  start_apiserver
  wait_for kube-apiserver 120 apiserver_ready
}

cmd_down() {
  [ "$(id -u)" = 0 ] || die "must run as root"
  stop kubelet
  # Through the CRI, so the CNI plugin releases every pod's address and network namespace.
  if [ -S "$SOCK" ] && [ -x "$BIN/current/crictl" ]; then
    "$BIN/current/crictl" -r "unix://$SOCK" rmp -fa >/dev/null 2>&1 || true
  fi
  stop coredns; stop kube-proxy; stop kube-scheduler; stop kube-controller-manager
  stop kube-apiserver; stop etcd
  if [ -S "$SOCK" ]; then
    # Whatever the CRI could not remove is killed here, before containerd goes.
    for t in $(ctr -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$SOCK" -n k8s.io tasks kill -s KILL "$t" >/dev/null 2>&1 || true
    done
  fi
  stop containerd
  pkill -KILL -f "containerd-shim-runc-v2 -namespace k8s.io -id .* -address $SOCK" 2>/dev/null || true
  if [ -x "$BIN/current/kube-proxy" ]; then
    "$BIN/current/kube-proxy" --cleanup >/dev/null 2>&1 || true
  fi
  # Mounts made by the kubelet (volumes), containerd (rootfs, shm) and the CRI (pod netns).
  local m
  for m in $(awk '{print $2}' /proc/mounts | grep -E "^($W|$R|$CACHE/containerd|/run/netns/cni-|/var/run/netns/cni-)" | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  for m in /run/netns/cni-*; do
    if [ -e "$m" ]; then ip netns delete "$(basename "$m")" 2>/dev/null || true; fi
  done
  ip link delete "$BRIDGE" 2>/dev/null || true
  ip link delete "$NODE_IF" 2>/dev/null || true
  ip route delete unreachable "$SERVICE_CIDR" 2>/dev/null || true
  while iptables -t mangle -D FORWARD -i "$BRIDGE" ! -o "$BRIDGE" -j DROP -m comment --comment splab 2>/dev/null; do :; done
  while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT -m comment --comment splab 2>/dev/null; do :; done
  remove_chains
  rm -rf "$W" "$R"
  log "down"
}

# The kubelet (KUBE-FIREWALL, canaries), kube-proxy (KUBE-*) and CNI's portmap (CNI-*) leave
# chains in several tables; `kube-proxy --cleanup` removes only its own. This machine runs no
# other Kubernetes (`up` checks), so every KUBE-* and CNI-* chain is ours.
remove_chains() {
  local table chain rule
  for table in filter nat mangle raw; do
    iptables-save -t "$table" 2>/dev/null | { grep -E '^-A [A-Z]+ .*-j (KUBE|CNI)-' || true; } | while read -r rule; do
      eval "iptables -t $table -D ${rule#-A }" 2>/dev/null || true
    done
    for chain in $(iptables-save -t "$table" 2>/dev/null | sed -nE 's/^:((KUBE|CNI)-[^ ]+) .*/\1/p'); do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $(iptables-save -t "$table" 2>/dev/null | sed -nE 's/^:((KUBE|CNI)-[^ ]+) .*/\1/p'); do
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

# What `down` must leave as `up` found it: processes of the lab, mounts, interfaces, network
# namespaces, routes and iptables rules. scripts/test.sh compares it before `up` and after `down`.
cmd_fingerprint() {
  echo "# processes"
  pgrep -a -f "$BIN/|containerd --config $W|containerd-shim-runc-v2 .*-address $SOCK" | sed 's/^[0-9]* //' | sort || true
  echo "# mounts"
  awk '{print $2, $3}' /proc/mounts | sort
  echo "# links"
  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
  echo "# addresses"
  ip -o addr show | awk '{print $2, $4}' | sort
  echo "# routes"
  ip route show table all | sort
  echo "# netns"
  ip netns list 2>/dev/null | sort
  echo "# iptables"
  # Rules and user chains only: on a fresh host no table is loaded and iptables-save prints
  # nothing, while after `up` and `down` the tables stay loaded with their built-in chains
  # empty (a table cannot be unloaded); neither is something `up` left behind.
  iptables-save | sed -nE '/^-A /p; /^:(INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) /d; /^:/p' |
    sed -E 's/ \[[0-9]+:[0-9]+\]$//' | sort
}

cmd_status() {
  local n
  for n in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy coredns; do
    if [ -f "$R/$n.pid" ] && kill -0 "$(cat "$R/$n.pid")" 2>/dev/null; then
      echo "$n: running (pid $(cat "$R/$n.pid"), log $W/log/$n.log)"
    else
      echo "$n: stopped"
    fi
  done
  if [ -f "$W/admin.kubeconfig" ]; then echo "KUBECONFIG=$W/admin.kubeconfig"; fi
}

case ${1:-} in
  build) cmd_build ;;
  build-kwok) cmd_build_kwok ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  fingerprint) cmd_fingerprint ;;
  restart-apiserver) cmd_restart_apiserver ;;
  load-image) shift; cmd_load_image "$@" ;;
  bin) echo "$BIN/current" ;;
  *) echo "usage: $0 build|build-kwok|up|down|status|fingerprint|load-image ARCHIVE...|restart-apiserver|bin" >&2; exit 2 ;;
esac
