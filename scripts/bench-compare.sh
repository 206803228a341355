#!/usr/bin/env bash
# Compare Hashi with Mosquitto, NATS (its MQTT listener) and ActiveMQ on this
# machine with `hashi bench`, and write docs/benchmarks.md and
# docs/img/benchmarks.svg.
#
#   scripts/bench-compare.sh            3 rounds, about 15 minutes
#   scripts/bench-compare.sh --quick    1 short round, about 3 minutes
#   scripts/bench-compare.sh --rounds 5 --duration 5s
#
# Every broker runs on its own loopback ports with its own data directory
# under a temporary directory, and each workload is run against each broker
# in turn, round after round (the order rotates), so that a disturbance on
# the machine hits every broker alike, with the others paused meanwhile
# (pause_others). The table holds medians.
#
# Environment: HASHI_BIN (default bin/hashi, built when missing), BENCH_NOTE
# (a line added to the notes), KEEP=1 keeps the temporary directory.
# Needs root for apt-get when mosquitto, nats-server, activemq or
# libmqtt-client-java are missing, and raises `ulimit -n` for 10,000
# connections.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ROUNDS=3
DURATION=3s
CONNS=10000
HOLD=3s
QUEUE_MSGS=100000
# Latency is measured in short runs, the brokers alternating, so that the
# machine's load drifting over seconds lands on every broker alike.
LATENCY_SLICES=3
LATENCY_DURATION=2s
QUICK=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1; ROUNDS=1; DURATION=1500ms; HOLD=1s; QUEUE_MSGS=30000; LATENCY_DURATION=500ms ;;
	--rounds) ROUNDS=$2; shift ;;
	--duration) DURATION=$2; shift ;;
	-h | --help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "bench-compare: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

group3() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; } # 10000 → 10,000
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

# ---------------------------------------------------------------- setup
need_pkg() { # package, file it provides
	if [ ! -e "$2" ]; then
		log "installing $1"
		if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >/dev/null; APT_UPDATED=1; fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
	fi
}
need_pkg mosquitto /usr/sbin/mosquitto
need_pkg nats-server /usr/sbin/nats-server
need_pkg activemq /usr/share/activemq/bin/activemq.jar
# Debian's activemq package lacks the MQTT codec its MQTT connector needs
# (NoClassDefFoundError: org/fusesource/mqtt/codec/...).
need_pkg libmqtt-client-java /usr/share/java/mqtt-client.jar

HASHI=${HASHI_BIN:-bin/hashi}
if [ ! -x "$HASHI" ]; then
	log "building $HASHI"
	go build -o "$HASHI" ./cmd/hashi
fi
HASHI=$(cd "$(dirname "$HASHI")" && pwd)/$(basename "$HASHI")

# The generator and the broker each hold one descriptor per connection.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((CONNS + 1000)) ]; then
	echo "bench-compare: ulimit -n is $(ulimit -n), below the $((CONNS + 1000)) that $CONNS connections need" >&2
	exit 1
fi

WORK=$(mktemp -d /tmp/hashi-bench.XXXXXX)
RESULTS=$WORK/results.jsonl
BRIDGE_RESULTS=$WORK/bridge.jsonl
CEILING_RESULTS=$WORK/ceiling.jsonl
FAILURES=$WORK/failures.txt
: >"$RESULTS"; : >"$BRIDGE_RESULTS"; : >"$CEILING_RESULTS"; : >"$FAILURES"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill -CONT "$p" 2>/dev/null || true; done # a paused broker would not see TERM
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	if [ "${KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

USED_PORTS=" "
# Listening ports come from below the ephemeral range, which 10,000 client
# connections (ours and other programs') sweep through.
read -r EPHEMERAL_LOW _ </proc/sys/net/ipv4/ip_local_port_range || EPHEMERAL_LOW=32768
port() { # a free loopback port not handed out before
	local p
	while :; do
		p=$((10000 + RANDOM % (EPHEMERAL_LOW - 10000)))
		case "$USED_PORTS" in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			USED_PORTS="$USED_PORTS$p "
			echo "$p"
			return
		fi
	done
}

wait_port() { # port, seconds, name, pid
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		if ! kill -0 "$4" 2>/dev/null; then
			log "$3 exited"
			return 1
		fi
		sleep 0.1
	done
	log "$3 did not listen on port $1 within $2 s"
	return 1
}

# start NAME KIND: start_KIND NAME, retried with new ports if it does not
# come up (a port can be taken between choosing and binding it).
start() {
	local try
	for try in 1 2 3; do
		if "start_$2" "$1"; then return 0; fi
		stop_pid "$PID"
		log "$1: start failed (try $try): $(tail -2 "$WORK/$1/log" 2>/dev/null | tr '\n' ' ')"
		rm -rf "${WORK:?}/$1"
	done
	return 1
}

stop_pid() {
	local p=$1 i
	kill "$p" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

# Each start_* sets PID, MQTT_PORT and (where it has one) STOMP_PORT.
start_hashi() { # name; $NETWORK_XML is added to the broker element
	local d=$WORK/$1
	mkdir -p "$d/data"
	MQTT_PORT=$(port); STOMP_PORT=$(port)
	cat >"$d/activemq.xml" <<-EOF
	<broker xmlns="http://activemq.apache.org/schema/core" brokerName="$1" dataDirectory="$d/data" persistent="false">
	  <transportConnectors>
	    <transportConnector name="mqtt" uri="mqtt://127.0.0.1:$MQTT_PORT"/>
	    <transportConnector name="stomp" uri="stomp://127.0.0.1:$STOMP_PORT"/>
	  </transportConnectors>
	  ${NETWORK_XML:-}
	</broker>
	EOF
	env ${HASHI_ENV:-} "$HASHI" broker --config "$d/activemq.xml" --admin "" --log-level warn >"$d/log" 2>&1 &
	PID=$!; PIDS+=("$PID")
	wait_port "$MQTT_PORT" 20 "$1" "$PID"
}

start_mosquitto() { # name
	local d=$WORK/$1
	mkdir -p "$d"
	MQTT_PORT=$(port); STOMP_PORT=
	# max_queued_messages 0: no per-client queue limit. With the default of
	# 1000, Mosquitto 2.0.11 drops QoS 1 messages under fan-in.
	cat >"$d/mosquitto.conf" <<-EOF
	listener $MQTT_PORT 127.0.0.1
	allow_anonymous true
	persistence false
	max_queued_messages 0
	max_inflight_messages 65535
	set_tcp_nodelay true
	EOF
	/usr/sbin/mosquitto -c "$d/mosquitto.conf" >"$d/log" 2>&1 &
	PID=$!; PIDS+=("$PID")
	wait_port "$MQTT_PORT" 20 "$1" "$PID"
}

start_nats() { # name
	local d=$WORK/$1
	mkdir -p "$d/js"
	MQTT_PORT=$(port); STOMP_PORT=
	# The MQTT listener needs JetStream and a server name.
	cat >"$d/nats.conf" <<-EOF
	server_name: $1
	listen: 127.0.0.1:$(port)
	jetstream {
	  store_dir: "$d/js"
	}
	mqtt {
	  listen: 127.0.0.1:$MQTT_PORT
	  max_ack_pending: 65535
	}
	EOF
	/usr/sbin/nats-server -c "$d/nats.conf" >"$d/log" 2>&1 &
	PID=$!; PIDS+=("$PID")
	wait_port "$MQTT_PORT" 30 "$1" "$PID"
}

start_activemq() { # name
	local d=$WORK/$1 a=/usr/share/activemq
	mkdir -p "$d/conf" "$d/data" "$d/tmp" "$d/lib"
	MQTT_PORT=$(port); STOMP_PORT=$(port)
	ln -sf /usr/share/java/mqtt-client.jar /usr/share/java/hawtdispatch.jar /usr/share/java/hawtdispatch-transport.jar "$d/lib/"
	cat >"$d/conf/log4j.properties" <<-EOF
	log4j.rootLogger=WARN, console
	log4j.appender.console=org.apache.log4j.ConsoleAppender
	log4j.appender.console.layout=org.apache.log4j.PatternLayout
	log4j.appender.console.layout.ConversionPattern=%d %-5p %c{1} - %m%n
	EOF
	# nio connectors: a thread per connection would not hold 10,000 clients.
	# Topics without producer flow control and with a pending limit like
	# Hashi's default: with flow control, publishers blocked on a full topic
	# held every NIO worker thread and the broker stopped serving even new
	# connections (seen with 8 QoS 1 publishers).
	cat >"$d/conf/activemq.xml" <<-EOF
	<beans xmlns="http://www.springframework.org/schema/beans"
	  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
	  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
	  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
	  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" brokerName="$1" persistent="false" dataDirectory="$d/data">
	    <destinationPolicy><policyMap><policyEntries>
	      <policyEntry topic="&gt;" producerFlowControl="false">
	        <pendingMessageLimitStrategy><constantPendingMessageLimitStrategy limit="10000"/></pendingMessageLimitStrategy>
	      </policyEntry>
	    </policyEntries></policyMap></destinationPolicy>
	    <systemUsage><systemUsage><memoryUsage><memoryUsage limit="1 gb"/></memoryUsage></systemUsage></systemUsage>
	    <transportConnectors>
	      <transportConnector name="mqtt" uri="mqtt+nio://127.0.0.1:$MQTT_PORT"/>
	      <transportConnector name="stomp" uri="stomp+nio://127.0.0.1:$STOMP_PORT"/>
	    </transportConnectors>
	  </broker>
	</beans>
	EOF
	# What /usr/bin/activemq runs, without its Debian user switch and
	# /var/lib paths.
	(cd "$d" && exec java -Xms2g -Xmx2g -Djava.awt.headless=true -Djava.io.tmpdir="$d/tmp" \
		--add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED \
		--add-opens java.base/java.util.concurrent=ALL-UNNAMED --add-opens java.base/java.net=ALL-UNNAMED \
		-Dactivemq.classpath="$d/conf" -Dactivemq.home=$a -Dactivemq.base="$d" \
		-Dactivemq.conf="$d/conf" -Dactivemq.data="$d/data" \
		-jar $a/bin/activemq.jar start "xbean:file:$d/conf/activemq.xml" >"$d/log" 2>&1) &
	PID=$!; PIDS+=("$PID")
	wait_port "$MQTT_PORT" 90 "$1" "$PID"
}

# ---------------------------------------------------------------- runs
# While one broker is measured the others are paused (SIGSTOP): work a
# broker does after its own run (a JVM collecting the garbage of a heavy
# workload keeps both cores busy for seconds) must not land on the run
# that follows it, and with the order rotating, the same broker would
# always follow it. The bridged brokers are never paused: their links
# would time out.
pause_others() { # broker being measured
	local keep=() b
	case "$1" in
	hashi | mosquitto | nats | activemq) keep=("${BPID[$1]:-}") ;;
	generator*) keep=("${BPID[sink]:-}") ;;
	esac
	for b in hashi mosquitto nats activemq sink; do
		[ -n "${BPID[$b]:-}" ] || continue
		[ "${keep[*]:-}" = "${BPID[$b]}" ] && continue
		kill -STOP "${BPID[$b]}" 2>/dev/null || true
	done
}
resume_all() {
	local b
	for b in hashi mosquitto nats activemq sink; do
		[ -n "${BPID[$b]:-}" ] && kill -CONT "${BPID[$b]}" 2>/dev/null || true
	done
}

bench() { # results-file workload broker title metric scenario [flags...]
	local out=$1 wl=$2 br=$3 title=$4 metric=$5
	shift 5
	local line ok=1
	pause_others "$br"
	line=$("$HASHI" bench "$@" --tag "workload=$wl" --tag "broker=$br" --tag "title=$title" \
		--tag "metric=$metric" --tag "round=$ROUND" ${BASELINE:+--tag "baseline=$BASELINE"} 2>>"$WORK/bench.log") || ok=0
	resume_all
	if [ $ok = 1 ]; then
		echo "$line" >>"$out"
		log "$wl $br: $(echo "$line" | grep -o '"\(msgs_per_sec\|p50_us\|rss_per_conn_kib\|lost\)":[0-9.]*' | sort -u -t: -k1,1 | tr '\n' ' ')"
	else
		echo "- round $ROUND, $title, $br: \`hashi bench $*\` failed: $(tail -1 "$WORK/bench.log")" >>"$FAILURES"
		log "$wl $br: FAILED ($(tail -1 "$WORK/bench.log"))"
	fi
}

MQTT_BROKERS=(hashi mosquitto nats activemq)
declare -A URL STOMP_URL BPID
start_all() {
	start hashi hashi; URL[hashi]=127.0.0.1:$MQTT_PORT; STOMP_URL[hashi]=stomp://127.0.0.1:$STOMP_PORT; BPID[hashi]=$PID
	start mosquitto mosquitto; URL[mosquitto]=127.0.0.1:$MQTT_PORT; BPID[mosquitto]=$PID
	start nats nats; URL[nats]=127.0.0.1:$MQTT_PORT; BPID[nats]=$PID
	start activemq activemq; URL[activemq]=127.0.0.1:$MQTT_PORT; STOMP_URL[activemq]=stomp://127.0.0.1:$STOMP_PORT; BPID[activemq]=$PID
	# Two Hashi brokers linked by a network connector: publish on A,
	# subscribe on B.
	start hashi-b hashi; URL[bridge-b]=127.0.0.1:$MQTT_PORT; local bstomp=$STOMP_PORT
	NETWORK_XML="<networkConnectors><networkConnector name=\"a-to-b\" uri=\"static:(stomp://127.0.0.1:$bstomp)\" duplex=\"false\"/></networkConnectors>"
	start hashi-a hashi
	NETWORK_XML=
	URL[bridge-a]=127.0.0.1:$MQTT_PORT
	# The same pair, each broker held to one core (GOMAXPROCS=1): two
	# regions' brokers would each have a machine, here they share two
	# cores with the generator. Shown beside the default pair, which is
	# the one the target is read from.
	HASHI_ENV=GOMAXPROCS=1
	start hashi-b1 hashi; URL[bridge1-b]=127.0.0.1:$MQTT_PORT; bstomp=$STOMP_PORT
	NETWORK_XML="<networkConnectors><networkConnector name=\"a-to-b\" uri=\"static:(stomp://127.0.0.1:$bstomp)\" duplex=\"false\"/></networkConnectors>"
	start hashi-a1 hashi
	NETWORK_XML= HASHI_ENV=
	URL[bridge1-a]=127.0.0.1:$MQTT_PORT
	"$HASHI" bench sink --listen 127.0.0.1:0 2>"$WORK/sink.log" &
	PIDS+=("$!"); BPID[sink]=$!
	local i
	for ((i = 0; i < 50; i++)); do grep -qs listening "$WORK/sink.log" && break; sleep 0.1; done
	URL[sink]=$(sed -n 's/.*listening on //p' "$WORK/sink.log")
}

rotate() { # round, names... → the names rotated by round
	local r=$1
	shift
	local a=("$@") n=$# i
	for ((i = 0; i < n; i++)); do echo "${a[$(((i + r) % n))]}"; done
}

round() {
	local b
	local order
	mapfile -t order < <(rotate "$ROUND" "${MQTT_BROKERS[@]}")
	for b in "${order[@]}"; do bench "$RESULTS" qos0-fanin "$b" "QoS 0 fan-in 8→1" msgs_per_sec fanin --url "${URL[$b]}" --qos 0 --duration "$DURATION"; done
	for b in "${order[@]}"; do bench "$RESULTS" qos0-fanout "$b" "QoS 0 fan-out 1→8" msgs_per_sec fanout --url "${URL[$b]}" --qos 0 --duration "$DURATION"; done
	for b in "${order[@]}"; do bench "$RESULTS" qos0-fanin-16k "$b" "QoS 0 fan-in 8→1, 16 KiB" mb_per_sec,msgs_per_sec fanin --url "${URL[$b]}" --qos 0 --size 16384 --duration "$DURATION"; done
	for b in "${order[@]}"; do bench "$RESULTS" qos1-fanin "$b" "QoS 1 fan-in 8→1" msgs_per_sec fanin --url "${URL[$b]}" --qos 1 --duration "$DURATION"; done
	for b in "${order[@]}"; do bench "$RESULTS" qos1-fanout "$b" "QoS 1 fan-out 1→8" msgs_per_sec fanout --url "${URL[$b]}" --qos 1 --duration "$DURATION"; done
	local q k
	for q in 0 1; do
		for ((k = 0; k < LATENCY_SLICES; k++)); do
			for b in "${order[@]}"; do bench "$RESULTS" latency-qos$q "$b" "Latency QoS $q at 2,000/s" p50_us,p90_us latency --url "${URL[$b]}" --qos $q --rate 2000 --duration "$LATENCY_DURATION"; done
			# The floor, between the brokers' runs: the same latency
			# against the sink, which does no work.
			BASELINE="generator→sink"
			bench "$CEILING_RESULTS" latency-qos$q "generator→sink" "Latency QoS $q at 2,000/s" p50_us,p90_us latency --url "${URL[sink]}" --qos $q --rate 2000 --duration "$LATENCY_DURATION"
			BASELINE=
		done
	done
	for b in $(rotate "$ROUND" hashi activemq); do
		# Bounded by count, not time: the consumer may be slower than the
		# producer, and the backlog is part of what is measured.
		bench "$RESULTS" queue "$b" "STOMP queue 1→1, receipts + acks, $(group3 "$QUEUE_MSGS") msgs" msgs_per_sec queue --url "${STOMP_URL[$b]}" --qos 1 --messages "$QUEUE_MSGS" --drain 30s
	done
	# 10,000 idle connections, each against a fresh broker: RSS grown and
	# freed by an earlier run would hide what a connection costs.
	for b in "${order[@]}"; do
		if start "conns-$b-$ROUND" "$b"; then
			bench "$RESULTS" conns "$b" "$(group3 "$CONNS") idle connections" rss_per_conn_kib,connect_per_sec,cpu_per_conn_us conns --url "127.0.0.1:$MQTT_PORT" --conns "$CONNS" --pid "$PID" --duration "$HOLD"
			stop_pid "$PID"
		else
			echo "- round $ROUND, $CONNS idle connections, $b: the broker did not start" >>"$FAILURES"
		fi
	done
	# Bridge: the same workloads on one Hashi and across two.
	BASELINE=hashi
	bench "$BRIDGE_RESULTS" bridge-qos1 hashi "QoS 1 1→1" msgs_per_sec fanin --publishers 1 --url "${URL[hashi]}" --qos 1 --duration "$DURATION"
	bench "$BRIDGE_RESULTS" bridge-qos1 "hashi→hashi bridge" "QoS 1 1→1" msgs_per_sec bridge --url "${URL[bridge-a]}" --sub-url "${URL[bridge-b]}" --qos 1 --duration "$DURATION"
	bench "$BRIDGE_RESULTS" bridge-qos1 "bridge (1 core each)" "QoS 1 1→1" msgs_per_sec bridge --url "${URL[bridge1-a]}" --sub-url "${URL[bridge1-b]}" --qos 1 --duration "$DURATION"
	bench "$BRIDGE_RESULTS" bridge-qos0 hashi "QoS 0 1→1" msgs_per_sec fanin --publishers 1 --url "${URL[hashi]}" --qos 0 --duration "$DURATION"
	bench "$BRIDGE_RESULTS" bridge-qos0 "hashi→hashi bridge" "QoS 0 1→1" msgs_per_sec bridge --url "${URL[bridge-a]}" --sub-url "${URL[bridge-b]}" --qos 0 --duration "$DURATION"
	bench "$BRIDGE_RESULTS" bridge-qos0 "bridge (1 core each)" "QoS 0 1→1" msgs_per_sec bridge --url "${URL[bridge1-a]}" --sub-url "${URL[bridge1-b]}" --qos 0 --duration "$DURATION"
	bench "$BRIDGE_RESULTS" bridge-latency hashi "Latency QoS 1 at 2,000/s" p50_us,p90_us latency --url "${URL[hashi]}" --qos 1 --rate 2000 --duration "$DURATION"
	bench "$BRIDGE_RESULTS" bridge-latency "hashi→hashi bridge" "Latency QoS 1 at 2,000/s" p50_us,p90_us bridge --url "${URL[bridge-a]}" --sub-url "${URL[bridge-b]}" --qos 1 --rate 2000 --duration "$DURATION"
	# The generator's ceiling: against the trivial sink, direct and through
	# the zero-work relay.
	local via
	BASELINE="generator→sink"
	for via in direct relay; do
		local br="generator→sink" extra=()
		if [ $via = relay ]; then br="generator→relay→sink"; extra=(--through-relay); fi
		bench "$CEILING_RESULTS" qos0-fanin "$br" "QoS 0 fan-in 8→1" msgs_per_sec fanin --url "${URL[sink]}" --qos 0 --duration "$DURATION" "${extra[@]}"
		bench "$CEILING_RESULTS" qos0-fanout "$br" "QoS 0 fan-out 1→8" msgs_per_sec fanout --url "${URL[sink]}" --qos 0 --duration "$DURATION" "${extra[@]}"
		bench "$CEILING_RESULTS" qos1-fanin "$br" "QoS 1 fan-in 8→1" msgs_per_sec fanin --url "${URL[sink]}" --qos 1 --duration "$DURATION" "${extra[@]}"
	done
	BASELINE=
}

# ---------------------------------------------------------------- main
LOAD_BEFORE=$(cat /proc/loadavg)
TOP_BEFORE=$(ps -eo pcpu,comm --sort=-pcpu | sed -n '2,6p' | awk '{printf "%s %s%%, ", $2, $1}')
START=$(date +%s)
log "work directory $WORK; $ROUNDS round(s) of $DURATION"
start_all
log "warming up (JIT, caches): one unrecorded run per broker"
ROUND=0
for b in "${MQTT_BROKERS[@]}"; do
	"$HASHI" bench fanin --url "${URL[$b]}" --duration 2s --qos 1 >/dev/null 2>>"$WORK/bench.log" || true
done
"$HASHI" bench queue --url "${STOMP_URL[activemq]}" --duration 2s >/dev/null 2>>"$WORK/bench.log" || true
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
	log "round $ROUND of $ROUNDS"
	round
done
LOAD_AFTER=$(cat /proc/loadavg)
TOP_AFTER=$(ps -eo pcpu,comm --sort=-pcpu | sed -n '2,6p' | awk '{printf "%s %s%%, ", $2, $1}')
ELAPSED=$(($(date +%s) - START))

# ---------------------------------------------------------------- report
mkdir -p docs/img
OUT=docs/benchmarks.md
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
{
	cat <<-EOF
	# Benchmarks: Hashi, Mosquitto, NATS and ActiveMQ

	Generated by \`scripts/bench-compare.sh$([ $QUICK = 1 ] && echo " --quick")\` on $(date -u '+%Y-%m-%d %H:%M UTC') in ${ELAPSED} s:
	$ROUNDS round(s); in each round every workload ran against every broker in turn (the order
	rotating from round to round), ${DURATION} of publishing per run, with the brokers not being
	measured paused (SIGSTOP; the bridged Hashi brokers excepted), so that work one broker
	does after its run (a JVM collecting a workload's garbage) does not land on the next run. The load generator is
	\`hashi bench\` (\`cmd/hashi/bench\`), a raw MQTT 3.1.1 / STOMP 1.2 client that stamps every
	payload with publisher, sequence number, send time and checksum, so every loss, duplicate,
	reordering and corruption is counted exactly; msgs/s is messages received divided by the time
	from the first send to the last arrival (stragglers that do not arrive within 2 s of idleness,
	10 s at most, count as lost). Payloads are 64 bytes unless noted.

	## Machine

	- CPU: $cpu, $(nproc) cores; memory $mem; kernel $(uname -r); Debian $(cat /etc/debian_version 2>/dev/null || echo ?)
	- Load average (1, 5, 15 min) before: \`$LOAD_BEFORE\`; after: \`$LOAD_AFTER\`
	- Busiest processes before: ${TOP_BEFORE%, }; after: ${TOP_AFTER%, }
	- Everything (brokers and generator) shares these cores: the numbers compare brokers on one
	  small machine; they are not what each broker does with a machine to itself.

	## Versions and settings

	- Hashi: \`$("$HASHI" version)\`, \`persistent="false"\`, otherwise its defaults (slow non-durable
	  topic subscribers may have 1,000 messages in flight plus 10,000 pending; QoS 0 beyond that is
	  dropped and counted; an MQTT session queues at most 100,000 QoS 1/2 messages, and drops
	  further ones while still acknowledging them to the publisher).
	- Mosquitto $(/usr/sbin/mosquitto -h 2>/dev/null | sed -n 's/^mosquitto version //p' | head -1) (Debian):
	  \`persistence false\`, \`max_queued_messages 0\` (no limit: with the default of 1000,
	  Mosquitto 2.0.11 drops QoS 1 messages under fan-in), \`max_inflight_messages 65535\`,
	  \`set_tcp_nodelay true\`.
	- NATS $(/usr/sbin/nats-server --version 2>/dev/null | sed 's/^nats-server: //') (Debian): MQTT listener with
	  JetStream (required by it), \`max_ack_pending 65535\`.
	- ActiveMQ $(dpkg-query -W -f '${Version}' activemq 2>/dev/null) (Debian, Java $(java -version 2>&1 | sed -n 's/.*version "\(.*\)".*/\1/p' | head -1)):
	  \`persistent="false"\`, \`mqtt+nio\` and \`stomp+nio\` connectors, 2 GiB heap, memory limit 1 GiB,
	  topics with \`producerFlowControl="false"\` and a pending-message limit of 10,000 for slow
	  subscribers (with flow control on, eight QoS 1 publishers left every NIO worker thread blocked
	  and the broker answered no new connection); Debian's package lacks the MQTT codec, so \`libmqtt-client-java\` is put on its class
	  path. A JVM warms up: every broker got one unrecorded run before the first round.
	EOF
	[ -n "${BENCH_NOTE:-}" ] && printf -- '- %s\n' "$BENCH_NOTE"
	cat <<-EOF

	## Results

	EOF
	"$HASHI" bench report --brokers hashi,mosquitto,nats,activemq --svg docs/img/benchmarks.svg --svg-href img/benchmarks.svg "$RESULTS"
	cat <<-EOF

	QoS 0 runs publish as fast as the publishers can, so the brokers differ in how much they
	accept, queue and drop; read msgs/s together with the losses. Latency runs publish at a fixed
	2,000 msgs/s (one publisher, one subscriber), ${LATENCY_SLICES} runs of ${LATENCY_DURATION} per broker and round, the
	brokers alternating run by run; the delay is measured from the send time in the payload, one
	clock for both ends. Messages are sent evenly, one every 500 µs, timed by a kernel timer
	(timerfd): a Go timer this short wakes an idle process after a whole millisecond, which had
	sent the messages in pairs. Connections: the broker's resident memory (VmRSS) after
	$(group3 "$CONNS") MQTT connections with a 60 s keep-alive were opened and acknowledged, minus before,
	per connection, each on a freshly started broker (for ActiveMQ this is growth of a JVM whose
	heap is reserved up front), the rate at which they were acknowledged with 32 connecting
	at a time, and the CPU time the broker used meanwhile (user + system, /proc/PID/stat),
	per connection: the generator and the broker share the two cores, so a broker that needs
	less CPU per connection leaves the generator more, and the rate follows both. The queue workload (STOMP only: Mosquitto and NATS have no STOMP) sends a fixed
	number of messages with a receipt each (1,000 outstanding) to one consumer that acknowledges
	each (client-individual, prefetch 1,000), so its msgs/s is what the consumer received over the
	time to drain the queue.

	## Network bridge (Hashi only)

	Publish on broker A, subscribe on broker B, A forwarding to B over a \`networkConnector\`
	(\`static:(stomp://...)\`, duplex false); against the same workload on one broker. In
parentheses: the ratio and the difference (for latency, what the bridge adds). The target
	(70 % of one broker) is read from the \`hashi→hashi bridge\` column. In the last column the
	same pair runs with \`GOMAXPROCS=1\` each, as if each broker had its own core: on these two
	shared cores, three busy processes (two brokers and the generator) otherwise spend a share of
	each message on the Go scheduler waking threads on the other core and on locks contended
	across cores.

	EOF
	"$HASHI" bench report --delta --brokers "hashi,hashi→hashi bridge,bridge (1 core each)" "$BRIDGE_RESULTS"
	cat <<-EOF

	## The generator's own ceiling

	The same generator against \`hashi bench sink\` (a trivial MQTT broker that forwards every
	PUBLISH to every subscriber without any matching or checks), directly and through
	\`hashi bench relay\` (a TCP relay that only copies bytes). When these are far above the broker
	numbers, the brokers, not the generator, set the numbers above. The latency rows, measured
	between the brokers' latency runs, are the floor: the generator's own delay and the loopback
	with a broker that does no work, which no broker can go below.

	EOF
	"$HASHI" bench report --brokers "generator→sink,generator→relay→sink" "$CEILING_RESULTS"
	if [ -s "$FAILURES" ]; then
		printf '\n## Runs that failed\n\n'
		cat "$FAILURES"
	fi
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "wrote $OUT and docs/img/benchmarks.svg in ${ELAPSED} s"
