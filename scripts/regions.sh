#!/usr/bin/env bash
# regions.sh — three regions on one machine: a full duplex mesh of Hashi
# brokers over TLS, with WAN-like links, a link cut and its heal.
#
#   sudo scripts/regions.sh            (needs root: network namespaces, tc)
#
# It builds network namespaces tokyo, singapore and frankfurt (prefixed with
# $NS_PREFIX, default "hashi-"), joined by point-to-point veth pairs with /30
# subnets; tc netem delays each direction 35 ms Tokyo–Singapore and 75 ms on
# the links to Frankfurt, with $LOSS loss (default 0.5%). One broker per
# namespace ($HASHI_BIN, else bin/hashi) with duplex networkConnectors
# tokyo→singapore, tokyo→frankfurt, singapore→frankfurt over ssl:// (a test
# PKI from gen-certs.sh with the namespace addresses as SANs). Each region
# publishes $COUNT numbered QoS 1 messages (mosquitto_pub) at $RATE/s while
# every region subscribes (mosquitto_sub); $CUT_AFTER s in, the
# Tokyo–Singapore link goes down for $CUT_FOR s. At the end it prints, per
# directed link, messages sent / delivered / lost / duplicated and latency
# percentiles (send time in the payload, receive time from mosquitto_sub
# %U; one kernel, one clock), and "RESULT lost=N duplicated=M".
# Namespaces and brokers are removed on exit. Without netem in the kernel
# (CONFIG_NET_SCH_NETEM) the same delays come from `hashi bench relay
# --delay` in each initiator's namespace, in front of its bridges (TCP
# cannot lose bytes, so loss needs netem); the report says which was used.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
HASHI_BIN=${HASHI_BIN:-$root/bin/hashi}
NS_PREFIX=${NS_PREFIX:-hashi-}
COUNT=${COUNT:-300}
RATE=${RATE:-20}
CUT_AFTER=${CUT_AFTER:-4}
CUT_FOR=${CUT_FOR:-10}
LOSS=${LOSS:-0.5%}
DRAIN=${DRAIN:-40}

[[ $(id -u) -eq 0 ]] || { echo "$0: needs root (ip netns, tc)" >&2; exit 1; }
for c in ip tc openssl mosquitto_pub mosquitto_sub stdbuf; do
	command -v "$c" >/dev/null || { echo "$0: $c not found" >&2; exit 1; }
done
[[ -x $HASHI_BIN ]] || { echo "$0: no hashi binary at $HASHI_BIN (go build -o bin/hashi ./cmd/hashi)" >&2; exit 1; }

regions=(tokyo singapore frankfurt)
work=$(mktemp -d /tmp/hashi-regions.XXXXXX)
pids=()

cleanup() {
	local rc=$?
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for r in "${regions[@]}"; do ip netns del "$NS_PREFIX$r" 2>/dev/null || true; done
	if [[ $rc -ne 0 && -z ${KEEP_LOGS:-} ]]; then
		for r in "${regions[@]}"; do
			[[ -f $work/$r/broker.log ]] && { echo "--- $r broker log (last 30 lines)"; tail -n 30 "$work/$r/broker.log"; } >&2
		done
	fi
	[[ -n ${KEEP_LOGS:-} ]] && echo "logs kept in $work" >&2 || rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT INT TERM

ns() { ip netns exec "$NS_PREFIX$1" "${@:2}"; }
log() { printf '%s %s\n' "$(date +%T.%3N)" "$*" >&2; }

# --- namespaces and links ----------------------------------------------------
# link A B SUBNET DELAY: veth A<->B, A gets SUBNET.1, B SUBNET.2.
declare -A ip_of   # "a-b" -> address of b on the a-b link
declare -A dev_of  # "a-b" -> a's device on the a-b link
declare -A delay_of # "a-b" -> one-way delay of the a-b link
netem=1
for r in "${regions[@]}"; do
	ip netns del "$NS_PREFIX$r" 2>/dev/null || true
	ip netns add "$NS_PREFIX$r"
	ns "$r" ip link set lo up
done
link() {
	local a=$1 b=$2 net=$3 delay=$4
	local da="${a:0:3}-${b:0:3}" db="${b:0:3}-${a:0:3}"
	ip link add "$da" netns "$NS_PREFIX$a" type veth peer name "$db" netns "$NS_PREFIX$b"
	ns "$a" ip addr add "$net.1/30" dev "$da"
	ns "$b" ip addr add "$net.2/30" dev "$db"
	ns "$a" ip link set "$da" up
	ns "$b" ip link set "$db" up
	ip_of[$a-$b]=$net.2 ip_of[$b-$a]=$net.1 dev_of[$a-$b]=$da dev_of[$b-$a]=$db
	delay_of[$a-$b]=$delay delay_of[$b-$a]=$delay
	if ((netem)); then
		if ns "$a" tc qdisc add dev "$da" root netem delay "$delay" loss "$LOSS" 2>/dev/null; then
			ns "$b" tc qdisc add dev "$db" root netem delay "$delay" loss "$LOSS"
		else
			netem=0
			log "WARNING: this kernel has no netem (CONFIG_NET_SCH_NETEM): delays come from a delaying relay in front of each bridge; no loss emulation"
		fi
	fi
}
link tokyo singapore 10.77.1 35ms
link tokyo frankfurt 10.77.2 75ms
link singapore frankfurt 10.77.3 75ms
if ((netem)); then
	log "links: tokyo-singapore 35 ms, *-frankfurt 75 ms each way (netem), loss $LOSS"
else
	log "links: tokyo-singapore 35 ms, *-frankfurt 75 ms each way (delaying relays), no loss"
fi

# --- brokers -------------------------------------------------------------------
"$root/scripts/gen-certs.sh" "$work/certs" 10.77.1.1 10.77.1.2 10.77.2.1 10.77.2.2 10.77.3.1 10.77.3.2 >/dev/null
# target_of["a-b"]: where a's bridge to b dials. Without netem, a relay in a's
# namespace holds every byte for the link's delay in each direction.
declare -A target_of
relay_port=62000
for pair in tokyo-singapore tokyo-frankfurt singapore-frankfurt; do
	a=${pair%-*} b=${pair#*-}
	target_of[$pair]="${ip_of[$a-$b]}:61617"
	if ((!netem)); then
		relay_port=$((relay_port + 1))
		(exec ip netns exec "$NS_PREFIX$a" "$HASHI_BIN" bench relay --listen "127.0.0.1:$relay_port" \
			--to "${target_of[$pair]}" --delay "${delay_of[$pair]}" 2>"$work/relay-$pair.log") &
		pids+=($!)
		target_of[$pair]="127.0.0.1:$relay_port"
	fi
done
connector() { # from to
	printf '    <networkConnector name="%s_to_%s" uri="static:(ssl://%s)" duplex="true"/>\n' "$1" "$2" "${target_of[$1-$2]}"
}
declare -A connectors=(
	[tokyo]="$(connector tokyo singapore)$(printf '\n')$(connector tokyo frankfurt)"
	[singapore]="$(connector singapore frankfurt)"
	[frankfurt]=""
)
for r in "${regions[@]}"; do
	mkdir -p "$work/$r"
	cat >"$work/$r/activemq.xml" <<XML
<broker xmlns="http://activemq.apache.org/schema/core" brokerName="$r" dataDirectory="data">
  <networkConnectors>
${connectors[$r]}
  </networkConnectors>
  <sslContext><sslContext keyStore="file:$work/certs/server.pem" trustStore="$work/certs/ca.pem"/></sslContext>
  <transportConnectors>
    <transportConnector name="bridge" uri="ssl://0.0.0.0:61617"/>
    <transportConnector name="mqtt" uri="mqtt://127.0.0.1:1883"/>
  </transportConnectors>
</broker>
XML
	(cd "$work/$r" && exec ip netns exec "$NS_PREFIX$r" "$HASHI_BIN" broker --config activemq.xml \
		--admin 127.0.0.1:8161 --log-json >broker.log 2>&1) &
	pids+=($!)
done

# bridges_up REGION: how many of its bridges are up.
bridges_up() {
	ns "$1" "$HASHI_BIN" bridges --admin 127.0.0.1:8161 --json 2>/dev/null | grep -Eo '"state": *"up"' | wc -l || true
}
# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND; 1 on timeout.
wait_until() {
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@"; do
		((SECONDS < deadline)) || { log "timed out waiting for $what"; return 1; }
		sleep 0.2
	done
}
all_up() { for r in "${regions[@]}"; do [[ $(bridges_up "$r") -eq 2 ]] || return 1; done; }
wait_until 30 "the mesh (two bridges up per broker)" all_up || exit 1
log "mesh up: $(for r in "${regions[@]}"; do printf '%s=%s ' "$r" "$(bridges_up "$r")"; done)"

# --- traffic -------------------------------------------------------------------
for r in "${regions[@]}"; do
	(exec ip netns exec "$NS_PREFIX$r" stdbuf -oL mosquitto_sub -h 127.0.0.1 -p 1883 -i "sub-$r" -q 1 \
		-t 'regions/+/seq' -F '%U %p' >"$work/$r/received" 2>"$work/$r/sub.err") &
	pids+=($!)
done
demand_ready() { # each bridge end sees one remote subscriber
	for r in "${regions[@]}"; do
		[[ $(ns "$r" "$HASHI_BIN" bridges --admin 127.0.0.1:8161 --json | grep -Eo '"remoteDemand": *1,' | wc -l) -eq 2 ]] || return 1
	done
}
wait_until 20 "subscriber demand on every bridge" demand_ready || exit 1

interval=$(awk -v r="$RATE" 'BEGIN { printf "%.4f", 1 / r }')
publish() { # region: COUNT lines "region seq send-time" at RATE per second
	local r=$1 i
	for ((i = 1; i <= COUNT; i++)); do
		printf '%s %d %s\n' "$r" "$i" "$EPOCHREALTIME"
		sleep "$interval"
	done | ns "$r" mosquitto_pub -h 127.0.0.1 -p 1883 -i "pub-$r" -q 1 -t "regions/$r/seq" -l
}
pubs=()
for r in "${regions[@]}"; do
	publish "$r" &
	pubs+=($!)
done
log "publishing $COUNT QoS 1 messages per region at $RATE/s"
sleep "$CUT_AFTER"
ups() { grep -c '"@message":"network bridge up".*"bridge":"tokyo_to_singapore"' "$work/tokyo/broker.log" || true; }
before=$(ups)
log "cut tokyo-singapore"
ns tokyo ip link set "${dev_of[tokyo-singapore]}" down
sleep "$CUT_FOR"
ns tokyo ip link set "${dev_of[tokyo-singapore]}" up
healed=$EPOCHREALTIME
log "healed tokyo-singapore"
back() { [[ $(ups) -gt $before ]]; }
wait_until 30 "the tokyo-singapore bridge back" back || exit 1
gap=$(awk -v a="$healed" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
log "tokyo-singapore bridge back ${gap}s after the heal"
for p in "${pubs[@]}"; do wait "$p"; done

expected=$((COUNT * 2))
all_in() { for r in "${regions[@]}"; do [[ $(wc -l <"$work/$r/received") -ge $expected ]] || return 1; done; }
wait_until "$DRAIN" "every message" all_in || true
sleep 1

# --- report --------------------------------------------------------------------
printf '\n%-22s %6s %9s %5s %5s %8s %8s %8s\n' link sent delivered lost dup p50_ms p90_ms p99_ms
total_lost=0 total_dup=0
for dst in "${regions[@]}"; do
	for src in "${regions[@]}"; do
		[[ $src == "$dst" ]] && continue
		# lines: recv-time region seq send-time
		stats=$(awk -v s="$src" '$2 == s { print $3 }' "$work/$dst/received" | sort -n | awk -v n="$COUNT" '
			{ total++; if (!($1 in seen)) { seen[$1] = 1; distinct++ } }
			END { printf "%d %d %d", distinct + 0, n - distinct, total - distinct }')
		read -r delivered lost dup <<<"$stats"
		lat=$(awk -v s="$src" '$2 == s { printf "%.3f\n", ($1 - $4) * 1000 }' "$work/$dst/received" | sort -n | awk '
			{ v[NR] = $1 }
			END {
				if (NR == 0) { print "- - -"; exit }
				split("50 90 99", q, " ")
				for (i = 1; i <= 3; i++) { k = int((q[i] / 100) * NR + 0.999999); if (k < 1) k = 1; if (k > NR) k = NR; printf "%s ", v[k] }
			}')
		read -r p50 p90 p99 <<<"$lat"
		printf '%-22s %6d %9d %5d %5d %8s %8s %8s\n' "$src->$dst" "$COUNT" "$delivered" "$lost" "$dup" "$p50" "$p90" "$p99"
		total_lost=$((total_lost + lost)) total_dup=$((total_dup + dup))
	done
done
delays=netem
((netem)) || delays=relay
printf '\ndelays=%s cut=tokyo-singapore for %ss, %ss in; bridge back %ss after the heal\n' "$delays" "$CUT_FOR" "$CUT_AFTER" "$gap"
echo "RESULT lost=$total_lost duplicated=$total_dup"
