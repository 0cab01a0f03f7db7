#!/usr/bin/env bash
# Runs a single-node Elasticsearch on loopback for trawl's Elasticsearch
# backend tests and for trying the backend locally.
#
#   scripts/elasticsearch.sh start|stop|status
#
# It uses Elastic's integration-test distribution from Maven Central
# (launcher, server, HTTP transport, security module; no analysis-common, no
# reindex), which is the only Elasticsearch build reachable through a
# package registry. When ready it prints TRAWL_ES_URL=http://127.0.0.1:PORT.
#
# Environment:
#   TRAWL_ES_VERSION  distribution version (default 8.19.0: the newest 8.x
#                     line, which go-elasticsearch v8.19 speaks to, on Java 17)
#   TRAWL_ES_PORT     HTTP port (default 9200)
#   TRAWL_ES_CACHE    where the downloaded zip is kept
#                     (default $HOME/.cache/trawl/elasticsearch)
#   TRAWL_ES_WORK     install, config, data, logs and pid file (default
#                     /var/lib/trawl-es as root, else $TRAWL_ES_CACHE/run)
#   TRAWL_ES_HEAP     JVM heap (default 512m)
#   ES_JAVA_HOME      Java to run it with (default: java on PATH for 8.x,
#                     a JDK 21+ from /usr/lib/jvm for 9.x)
set -euo pipefail

version=${TRAWL_ES_VERSION:-8.19.0}
port=${TRAWL_ES_PORT:-9200}
cache=${TRAWL_ES_CACHE:-$HOME/.cache/trawl/elasticsearch}
heap=${TRAWL_ES_HEAP:-512m}
es_user=trawl-es
if [[ $(id -u) -eq 0 ]]; then
	# Elasticsearch refuses to run as root, and root's home is usually
	# closed to other users, so the install lives where trawl-es can read it.
	work=${TRAWL_ES_WORK:-/var/lib/trawl-es}
else
	work=${TRAWL_ES_WORK:-$cache/run}
fi
es_home=$work/elasticsearch-$version
node=$work/node-$port
pidfile=$node/elasticsearch.pid
url=http://127.0.0.1:$port

log() { echo "elasticsearch.sh: $*" >&2; }
die() {
	log "$*"
	exit 1
}

# running prints the pid of the node this script started on $port, if alive.
running() {
	[[ -s $pidfile ]] || return 1
	local pid
	pid=$(<"$pidfile")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# The pid may have been reused by another program since.
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'org.elasticsearch' || return 1
	echo "$pid"
}

healthy() {
	curl -fsS --max-time 5 "$url/_cluster/health?wait_for_status=yellow&timeout=${1:-1}s" >/dev/null 2>&1
}

as_es() {
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u "$es_user" -- "$@"
	else
		"$@"
	fi
}

fetch() {
	local zip=$cache/elasticsearch-$version.zip
	if [[ ! -s $zip ]]; then
		command -v mvn >/dev/null || die "mvn not found: it fetches the distribution from Maven Central"
		mkdir -p "$cache"
		log "fetching org.elasticsearch.distribution.integ-test-zip:elasticsearch:$version:zip"
		mvn -q -B -Dstyle.color=never dependency:copy \
			"-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$version:zip" \
			"-DoutputDirectory=$cache" >&2 ||
			die "fetch elasticsearch $version from Maven Central failed (see the mvn output above)"
	fi
	if [[ ! -x $es_home/bin/elasticsearch ]]; then
		mkdir -p "$work"
		local tmp
		tmp=$(mktemp -d "$work/unzip.XXXXXX")
		unzip -q "$zip" -d "$tmp" || die "unzip $zip failed"
		rm -rf "$es_home"
		mv "$tmp/elasticsearch-$version" "$es_home"
		rm -rf "$tmp"
	fi
}

java_home() {
	if [[ -n ${ES_JAVA_HOME:-} ]]; then
		echo "$ES_JAVA_HOME"
		return
	fi
	if [[ ${version%%.*} -ge 9 ]]; then
		local jdk
		for jdk in /usr/lib/jvm/*; do
			local v
			v=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 |
				sed -n 's/^ *java.specification.version = //p') || continue
			if [[ ${v:-0} -ge 21 ]]; then
				echo "$jdk"
				return
			fi
		done
		die "elasticsearch $version needs Java 21 or newer; set ES_JAVA_HOME"
	fi
	local java
	java=$(command -v java) || die "java not found; set ES_JAVA_HOME"
	dirname "$(dirname "$(readlink -f "$java")")"
}

configure() {
	mkdir -p "$node/config" "$node/data" "$node/logs" "$node/tmp"
	cp -r "$es_home/config/." "$node/config/"
	{
		echo "cluster.name: trawl-test"
		echo "node.name: trawl-test-$port"
		echo "discovery.type: single-node"
		echo "network.host: 127.0.0.1"
		echo "http.port: $port"
		# transport stays on loopback too; let it pick a free port so two
		# nodes on two HTTP ports do not collide.
		echo "transport.port: 9300-9399"
		echo "path.data: $node/data"
		echo "path.logs: $node/logs"
		# A busy shared disk must not turn indices read-only mid-test.
		echo "cluster.routing.allocation.disk.threshold_enabled: false"
		echo "action.destructive_requires_name: true"
		# Only set settings the distribution knows: unknown ones are fatal.
		if [[ -d $es_home/modules/x-pack-security ]]; then
			echo "xpack.security.enabled: false"
		fi
	} >"$node/config/elasticsearch.yml"
	if [[ $(id -u) -eq 0 ]]; then
		id "$es_user" >/dev/null 2>&1 ||
			useradd --system --no-create-home --home-dir "$work" --shell /usr/sbin/nologin "$es_user"
		chown -R "$es_user:" "$work"
	fi
}

start() {
	local pid
	if pid=$(running); then
		log "already running (pid $pid)"
		wait_ready "$pid"
		echo "TRAWL_ES_URL=$url"
		return
	fi
	if curl -fsS --max-time 2 "$url" >/dev/null 2>&1; then
		die "something else already answers on $url; set TRAWL_ES_PORT"
	fi
	fetch
	configure
	local jh
	jh=$(java_home)
	log "starting elasticsearch $version on $url (java $jh, heap $heap, data $node)"
	rm -f "$pidfile"
	if ! as_es env ES_JAVA_HOME="$jh" ES_PATH_CONF="$node/config" ES_TMPDIR="$node/tmp" \
		ES_JAVA_OPTS="-Xms$heap -Xmx$heap ${ES_JAVA_OPTS:-}" \
		"$es_home/bin/elasticsearch" -d -p "$pidfile" >"$node/launcher.out" 2>&1; then
		tail -n 20 "$node/launcher.out" >&2
		log_tail
		die "elasticsearch failed to start"
	fi
	pid=$(running) || {
		log_tail
		die "elasticsearch exited right after starting"
	}
	wait_ready "$pid"
	echo "TRAWL_ES_URL=$url"
}

wait_ready() {
	local pid=$1 deadline=$((SECONDS + 120))
	until healthy 5; do
		if ! kill -0 "$pid" 2>/dev/null; then
			log_tail
			die "elasticsearch (pid $pid) died while starting"
		fi
		if ((SECONDS >= deadline)); then
			log_tail
			die "elasticsearch on $url not yellow after 120 s"
		fi
		sleep 1
	done
}

log_tail() {
	local f=$node/logs/trawl-test.log
	[[ -f $f ]] || f=$(ls -t "$node"/logs/*.log 2>/dev/null | head -1) || true
	if [[ -n ${f:-} && -f $f ]]; then
		log "last lines of $f:"
		tail -n 40 "$f" >&2
	fi
}

stop() {
	local pid
	if ! pid=$(running); then
		log "not running"
		rm -f "$pidfile"
		return
	fi
	kill -TERM "$pid"
	local deadline=$((SECONDS + 60))
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			log "pid $pid still running after 60 s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		sleep 1
	done
	rm -f "$pidfile"
	log "stopped (pid $pid)"
}

status() {
	local pid
	if pid=$(running) && healthy 1; then
		log "running (pid $pid)"
		echo "TRAWL_ES_URL=$url"
	elif [[ -n ${pid:-} ]]; then
		log "pid $pid is up but $url is not healthy"
		return 1
	else
		log "not running"
		return 3
	fi
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
