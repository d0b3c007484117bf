#!/usr/bin/env bash
# make bench: the handlers measured side by side with the physical floor of
# each thing they do, on loopback, in a temporary mail root.  The machine is
# shared and noisy, so every judged figure is a ratio of two measurements
# taken back to back (their order alternating from run to run); the table
# shows the median of those ratios over the runs and their range.
#
#   tests/bench/run.sh                 seven scenarios, 5 runs each
#   BENCH_RUNS=1 tests/bench/run.sh    a quicker, rougher pass
#
# Floors: the floor handler (tests/bench/floor.c: fork + exec + the same
# dialog, nothing else) under the same tcpspawn; one loop appending and
# fsyncing the same bytes in the same directory; `cat` of the maildrop to
# the socket; `wc -l` of it; `cp` of it plus fsync.  Where the design or
# the protocol itself requires work no floor does (a lock file per POP3
# login and per delivery; SMTP's connections and round trips, measured by
# the floor handler answering the same delivery dialog with nothing
# stored), further rows hold the handler against the floor plus that
# work, measured the same way.
#
# Builds what it needs itself under build/bench/ (load generator, floor
# handler, both handlers linked statically with musl where musl-gcc is
# installed, statically and dynamically with glibc), starts all of
# it under tcpspawn on kernel-chosen loopback ports, stops it all again,
# prints one table and writes it to tests/bench/RESULTS.md.  Peak RSS comes
# from tcpspawn -r (each session's ru_maxrss; it includes the moment between
# fork and exec, so the floor handler's figure is the baseline).
#
# Scenario 6 has no floor: HAProxy, run from conf/haproxy/haproxy.cfg, in
# front of one and of two handler hosts, held against the same load sent
# straight to the handlers (skipped when haproxy is not installed).
#
# Scenario 7 has none either: two hosts sharing a mail root on a one-brick
# GlusterFS volume on this machine (tests/gluster.bash; run where GlusterFS
# is installed and this is root with /dev/fuse, "not run" elsewhere), 8
# clients alternating between the hosts, into 2 and into 10 mailboxes,
# every message checked afterwards (tests/gluster-load.py: none lost or
# duplicated, or the bench stops).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
RUNS=${BENCH_RUNS:-5}
CC=${CC:-cc}
OUT=$REPO/build/bench
CFLAGS_BENCH="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mailbench.XXXXXX")
SERVERS=()
GLUSTER_DIR=
cleanup() {
	local pid
	for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
	[ -z "$GLUSTER_DIR" ] || gluster_down "$GLUSTER_DIR"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '%s\n' "$*" >&2; }

# ---- build ----------------------------------------------------------------

say "== building the load generator, the floor and both handler builds"
mkdir -p "$OUT"
"$CC" $CFLAGS_BENCH -o "$OUT/loadgen" tests/bench/loadgen.c
"$CC" $CFLAGS_BENCH -o "$OUT/floor-dynamic" tests/bench/floor.c
"$CC" $CFLAGS_BENCH -static -o "$OUT/floor-static" tests/bench/floor.c
# The builds compared: "musl" (musl-gcc -static, what make builds where
# musl-gcc is installed), "static" and "dynamic" (glibc).  Ratios against
# the musl floor need musl-gcc; without it those rows are left out.
MUSL_GCC=$(command -v musl-gcc || true)
LINKS=(static dynamic)
if [ -n "$MUSL_GCC" ]; then
	LINKS=(musl static dynamic)
	"$MUSL_GCC" $CFLAGS_BENCH -static -o "$OUT/floor-musl" tests/bench/floor.c
else
	say "musl-gcc not found: the musl build and the musl floor are left out"
fi
for link in "${LINKS[@]}"; do
	libc=$([ $link = musl ] && echo musl || echo glibc)
	flags=$([ $link = dynamic ] || echo -static)
	# Paths relative to the repository, as `make` itself uses: the
	# dependency files name their targets that way.
	make -s --no-print-directory B="build/bench/$link" \
		BIN="build/bench/$link" HANDLER_LDFLAGS="$flags" LIBC=$libc \
		"build/bench/$link/smtp-handler" \
		"build/bench/$link/pop3-handler" 2>&1 |
		grep -v "statically linked applications requires at runtime\|in function .drop_privileges" >&2 || true
done
LOADGEN=$OUT/loadgen
TCPSPAWN=$REPO/tcpspawn
# The build `make` ships (the repository root) runs scenarios 2 to 4;
# build/libc names the C library make last linked it with.
if [ "$(cat "$REPO/build/libc" 2>/dev/null)" = musl ]; then
	SHIPPED=musl
else
	SHIPPED=$(ldd "$REPO/pop3-handler" > /dev/null 2>&1 && echo dynamic ||
		  echo static)
fi

# ---- the mail root ----------------------------------------------------------

ROOT=$WORK/root
SIZES=(100 1000 10000 100000)
mkdir -p "$ROOT/USERS"
users=(w0 big0)
for i in $(seq 0 7); do users+=("s$i"); done
for i in $(seq 0 49); do users+=("m$i"); done
for n in "${SIZES[@]}"; do users+=("r$n"); done
for u in "${users[@]}"; do
	echo "$u pw" >> "$ROOT/userinfo.txt"
	mkdir "$ROOT/USERS/$u"
done
export MAIL_ROOT=$ROOT MAIL_DOMAIN=bench.example MAIL_LOG=stderr \
       MAIL_AUTH_DELAY=0 MAIL_TIMEOUT=60 MAIL_MAX_SIZE=60000000
mailbox() { echo "$ROOT/USERS/$1/my_mailbox.txt"; }

say "== filling maildrops of ${SIZES[*]} messages"
for n in "${SIZES[@]}"; do "$LOADGEN" fill "$(mailbox "r$n")" "$n" 2048; done
sync

# ---- servers and figures ----------------------------------------------------

# serve NAME PROGRAM [ARG...]: tcpspawn -r on a free loopback port.
serve() {
	local name=$1; shift
	"$TCPSPAWN" -b 127.0.0.1 -c 64 -r -p "$WORK/$name.port" 0 "$@" \
		< /dev/null > /dev/null 2>> "$WORK/$name.log" &
	SERVERS+=($!)
	for _ in $(seq 200); do
		[ -s "$WORK/$name.port" ] && return 0
		sleep 0.05
	done
	say "tcpspawn for $name did not start"; exit 1
}
port() { cat "$WORK/$1.port"; }

# One JSON field of loadgen's last line: json FIELD < output
json() { sed -n 's/.*"'"$1"'":"\{0,1\}\([^,"}]*\).*/\1/p' | tail -n 1; }
# record KEY FIGURE.  A figure is a positive number: anything else (a
# measurement that failed, a ratio over nothing) stops the run here
# rather than reach the table as a target met.
record() {
	if ! [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
	   ! awk -v v="$2" 'BEGIN { exit !(v > 0) }'; then
		say "no figure for $1 (got '$2')"; exit 1
	fi
	echo "$1 $2" >> "$WORK/figures"
}
last() { awk -v k="$1" '$1 == k { v = $2 } END { print v }' "$WORK/figures"; }
# ratio NAME A B: record the last figure of A over the last figure of B.
ratio() {
	record "ratio.$1" "$(awk -v a="$(last "$2")" -v b="$(last "$3")" \
		'BEGIN { printf "%.4f", a / b }')"
}
# measure KEY FIELD ARGS...: run loadgen ARGS, record FIELD under KEY.
measure() {
	local key=$1 field=$2; shift 2
	local out
	out=$(timeout 120 "$LOADGEN" "$@") || { say "loadgen $* failed"; exit 1; }
	record "$key" "$(json "$field" <<< "$out")"
}
ms_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", (b - a) * 1000 }'; }
# serial NAME A B: record 1 / (1 / last A + 1 / last B) as NAME: the rate
# of doing A's unit of work and then B's, one after the other.
serial() {
	record "$1" "$(awk -v a="$(last "$2")" -v b="$(last "$3")" \
		'BEGIN { printf "%.2f", 1 / (1 / a + 1 / b) }')"
}
# side_by_side RUN A B: run the functions A and B back to back, B first on
# even runs, so neither always meets the machine in the same state.
side_by_side() {
	if (( $1 % 2 )); then "$2"; "$3"; else "$3"; "$2"; fi
}

# sliced RUN A B KEY...: A and B take turns SLICES times, each turn doing
# the same amount of work (a SLICES-th of a run's, or all of it where one
# pass is short) and recording under "slice.KEY"; a run's figure for each
# KEY is then the rate over all of its turns, so a burst of load from
# elsewhere on the machine hits both sides, not one.
SLICES=4
SLICE=
sliced() {
	local run=$1 a=$2 b=$3 i
	SLICE=slice.
	for i in $(seq $SLICES); do side_by_side $((run + i)) "$a" "$b"; done
	SLICE=
	local key
	for key in "${@:4}"; do record "$key" "$(overall "slice.$key")"; done
}
# The rate over the last SLICES equal turns recorded under KEY.
overall() {
	awk -v k="$1" -v s=$SLICES '$1 == k { v[++n] = $2 }
		END { for (i = n - s + 1; i <= n; i++) t += 1 / v[i]
		      printf "%.2f", s / t }' "$WORK/figures"
}

# ---- 1. session cost --------------------------------------------------------

for link in "${LINKS[@]}"; do
	serve "smtp-$link" "$OUT/$link/smtp-handler"
	serve "pop3-$link" "$OUT/$link/pop3-handler"
	serve "floor-$link" "$OUT/floor-$link"
done
say "== 1. session cost"
handler_sessions() {
	measure "${SLICE}session.$prog.$link.c$c" rate session \
		-p "$(port "$prog-$link")" -P $prog -c $c -n $((n / SLICES))
}
floor_sessions() {
	measure "${SLICE}session.floor-$prog.$link.c$c" rate session \
		-p "$(port "floor-$link")" -P $prog -c $c -n $((n / SLICES))
}
# lock_rate C: C loops at once, each making and removing one user's lock
# file; locks/s of them all together, from the first loop's start to the
# last one's end (as the loops time themselves, starting them is not
# counted), recorded as lock.rate.cC.
lock_rate() {
	local c=$1
	local i pids=() per=$((2000 / c))
	for i in $(seq 0 $((c - 1))); do
		"$LOADGEN" locks "$ROOT/USERS/s$i/bench.lock" $per \
			> "$WORK/locks.$i" & pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i"; done
	record "lock.rate.c$c" "$(for i in $(seq 0 $((c - 1))); do
		echo "$(json start < "$WORK/locks.$i") $(json end < "$WORK/locks.$i")"
		done | awk -v n=$((per * c)) 'NR == 1 || $1 < a { a = $1 }
			NR == 1 || $2 > b { b = $2 }
			END { if (b > a) printf "%.2f", n / (b - a) }')"
}
for run in $(seq "$RUNS"); do
	for c in 1 8; do
		n=$((c == 1 ? 800 : 1600))
		for link in "${LINKS[@]}"; do
			for prog in smtp pop3; do
				sliced $run handler_sessions floor_sessions \
					"session.$prog.$link.c$c" \
					"session.floor-$prog.$link.c$c"
				ratio "session.$prog.$link.c$c" "session.$prog.$link.c$c" \
					"session.floor-$prog.$link.c$c"
			done
			# POP3 must make and remove its maildrop lock file (RFC 1939
			# exclusive access, as the design does it): the floor plus
			# one lock file is what a session cannot go below.  With
			# 8 clients the machine is busy throughout, so their costs
			# add up as well: 8 lock loops run at once, one per user
			# like the 8 clients' sessions.
			lock_rate $c
			serial "session.lockfloor.$link.c$c" \
				"session.floor-pop3.$link.c$c" "lock.rate.c$c"
			ratio "session.lockfloor.$link.c$c" "session.pop3.$link.c$c" \
				"session.lockfloor.$link.c$c"
		done
		for prog in smtp pop3; do
			ratio "session.floor-$prog.dynamic.c$c" \
				"session.floor-$prog.dynamic.c$c" \
				"session.floor-$prog.static.c$c"
		done
		[ -n "$MUSL_GCC" ] || continue
		# Every build against the musl floor of the same run, and the
		# musl build against static glibc.
		for prog in smtp pop3; do
			for link in static dynamic; do
				ratio "session.$prog.$link.musl-floor.c$c" \
					"session.$prog.$link.c$c" \
					"session.floor-$prog.musl.c$c"
			done
			ratio "session.floor-$prog.static-musl.c$c" \
				"session.floor-$prog.static.c$c" \
				"session.floor-$prog.musl.c$c"
			ratio "session.$prog.musl-static.c$c" \
				"session.$prog.musl.c$c" "session.$prog.static.c$c"
		done
	done
done

# ---- 2. delivery --------------------------------------------------------------

serve smtp "$REPO/smtp-handler"
say "== 2. delivery"
# A warm-up delivery tells the size of a stored message: the fsync floor
# appends that many bytes per fsync.
"$LOADGEN" deliver -p "$(port smtp)" -n 1 -U w > /dev/null
STORED=$(stat -c %s "$(mailbox w0)")
DELIVERIES=640       # 160 per turn: at C=8, one connection of 20 per client
FLOOR_FILE=$ROOT/USERS/w0/fsync-floor.txt
deliveries() {
	measure "${SLICE}deliver.c$c.r$boxes.k$k" rate deliver \
		-p "$(port smtp)" -c $c -n $((DELIVERIES / SLICES)) -k $k -r $boxes
}
# The floors of a delivery run: the plain loop appending and fsyncing the
# same bytes; that loop making and removing the lock file the design
# requires around each append; the floor handler answering the very same
# dialog (connections, EHLO, MAIL, RCPT, DATA, the message, QUIT) with
# nothing stored; and the floor handler storing each message as the
# design requires and no more (lock file, append, fsync, then the reply),
# into the same users' directories.
delivery_floors() {
	local n=$((DELIVERIES / SLICES))
	measure "${SLICE}fsync.floor" rate fsync "$FLOOR_FILE" $n "$STORED"
	measure "${SLICE}fsync.lock" rate fsync "$FLOOR_FILE" $n "$STORED" \
		"$ROOT/USERS/w0/my_mailbox.txt.lock"
	measure "${SLICE}dialog.c$c.r$boxes.k$k" rate deliver \
		-p "$(port "floor-$SHIPPED")" -c $c -n $n -k $k -r $boxes
	measure "${SLICE}store.c$c.r$boxes.k$k" rate deliver \
		-p "$(port "floor-store")" -c $c -n $n -k $k -r $boxes
}
serve floor-store "$OUT/floor-$SHIPPED" "$ROOT/USERS"
for run in $(seq "$RUNS"); do
	for c in 1 8; do
		for k in 1 20; do
			for boxes in 1 50; do
				shape="c$c.r$boxes.k$k"
				sliced $run deliveries delivery_floors "deliver.$shape" \
					fsync.floor fsync.lock "dialog.$shape" \
					"store.$shape"
				ratio fsync.lock fsync.lock fsync.floor
				ratio "deliver.$shape" "deliver.$shape" fsync.floor
				ratio "dialog.$shape" "deliver.$shape" "dialog.$shape"
				ratio "store.$shape" "deliver.$shape" "store.$shape"
				ratio "store-fsync.$shape" "store.$shape" fsync.floor
			done
			ratio "spread.c$c.k$k" "deliver.c$c.r50.k$k" \
				"deliver.c$c.r1.k$k"
			ratio "store-spread.c$c.k$k" "store.c$c.r50.k$k" \
				"store.c$c.r1.k$k"
		done
	done
done

# ---- 3. retrieval -------------------------------------------------------------

serve pop3 "$REPO/pop3-handler"
for n in "${SIZES[@]}"; do serve "cat-r$n" cat "$(mailbox "r$n")"; done
say "== 3. retrieval"
# Each turn moves at least 20 MB: a maildrop of 100 messages goes out in
# a fraction of a millisecond, and one pass alone would measure noise.
reps() { echo $(( n >= 10000 ? 1 : 10000 / n )); }
retrieve() {
	local out
	out=$(timeout 120 "$LOADGEN" retr -p "$(port pop3)" -U "r$n" -k "$(reps)") ||
		{ say "retr r$n failed"; exit 1; }
	record "${SLICE}stat.r$n" "$(json stat_ms <<< "$out")"
	record "${SLICE}retr.r$n" "$(json mbps <<< "$out")"
}
stream_and_count() {
	measure "${SLICE}stream.r$n" mbps stream -p "$(port "cat-r$n")" -k "$(reps)"
	local t0=$EPOCHREALTIME
	wc -l "$(mailbox "r$n")" > /dev/null
	record "${SLICE}wc.r$n" "$(ms_since "$t0")"
}
# The mean of the last SLICES turns' times recorded under KEY.
mean_time() {
	awk -v k="$1" -v s=$SLICES '$1 == k { v[++n] = $2 }
		END { for (i = n - s + 1; i <= n; i++) t += v[i]
		      printf "%.3f", t / s }' "$WORK/figures"
}
# RETR of 100 messages is over in a millisecond: each run takes turns
# (sliced), so a moment's load elsewhere does not decide a figure.
for run in $(seq "$RUNS"); do
	for n in "${SIZES[@]}"; do
		sliced $run retrieve stream_and_count "retr.r$n" "stream.r$n"
		record "stat.r$n" "$(mean_time "slice.stat.r$n")"
		record "wc.r$n" "$(mean_time "slice.wc.r$n")"
		ratio "stat.r$n" "stat.r$n" "wc.r$n"
		ratio "retr.r$n" "retr.r$n" "stream.r$n"
	done
done

# ---- 4. update ----------------------------------------------------------------

say "== 4. update"
update() { measure "update.r$n" ms update -p "$(port pop3)" -U "r$n"; }
copy_and_sync() {
	local copy=$ROOT/USERS/r$n/copy.txt t0=$EPOCHREALTIME
	cp "$(mailbox "r$n")" "$copy"
	sync "$copy"
	record "cp.r$n" "$(ms_since "$t0")"
	rm -f "$copy"
}
for run in $(seq "$RUNS"); do
	for n in "${SIZES[@]}"; do
		side_by_side $run update copy_and_sync
		ratio "update.r$n" "update.r$n" "cp.r$n"
	done
done

# ---- 5. memory ----------------------------------------------------------------

say "== 5. memory"
# Both builds: the largest maildrop, and a 50 MB message in and out.  The
# shipped build's RETR of the 50 MB message is also timed against `cat`:
# streaming one large message shows the per-byte cost without the
# per-message one.
serve cat-big cat "$(mailbox big0)"
for link in "${LINKS[@]}"; do
	serve "mem-smtp-$link" "$OUT/$link/smtp-handler"
	serve "mem-pop3-$link" "$OUT/$link/pop3-handler"
	rm -f "$(mailbox big0)"
	timeout 120 "$LOADGEN" deliver -p "$(port "mem-smtp-$link")" -U big \
		-s $((50 * 1024 * 1024)) > /dev/null
	serve "mem-index-$link" "$OUT/$link/pop3-handler"
	out=$(timeout 120 "$LOADGEN" retr -p "$(port "mem-pop3-$link")" -U big0)
	if [ $link = "$SHIPPED" ]; then
		record retr.big "$(json mbps <<< "$out")"
		measure stream.big mbps stream -p "$(port cat-big)"
		ratio retr.big retr.big stream.big
	fi
	timeout 120 "$LOADGEN" retr -p "$(port "mem-index-$link")" -U r100000 > /dev/null
done
# Sessions end (and are reaped, logging their RSS) just after the client
# sees the close; give the last ones a moment.
sleep 0.5
# Largest peak RSS (KiB) in the tcpspawn logs of the named servers.
peak() {
	local name files=()
	for name in "$@"; do files+=("$WORK/$name.log"); done
	sed -n 's/.*peak RSS \([0-9]*\) KiB.*/\1/p' "${files[@]}" | sort -n | tail -n 1
}
for link in "${LINKS[@]}"; do
	record "rss.smtp.$link.all" "$(peak "smtp-$link" "mem-smtp-$link" \
		$([ $link = "$SHIPPED" ] && echo smtp))"
	record "rss.pop3.$link.all" "$(peak "pop3-$link" "mem-pop3-$link" "mem-index-$link" \
		$([ $link = "$SHIPPED" ] && echo pop3))"
	record "rss.smtp.$link.big" "$(peak "mem-smtp-$link")"
	record "rss.pop3.$link.big" "$(peak "mem-pop3-$link")"
	record "rss.pop3.$link.index" "$(peak "mem-index-$link")"
	record "rss.floor.$link" "$(peak "floor-$link")"
done

# ---- 6. behind HAProxy ----------------------------------------------------------

# The shipped recipe (conf/haproxy/haproxy.cfg) in front of the shipped
# handlers: once over ONE backend (both of its server lines name the same
# tcpspawn) and once over TWO (tcpspawn instances with their own
# MAIL_HOSTNAME sharing the mail root, as in tests/proxy-haproxy.bats).
# Backends trust 127.0.0.1 (MAIL_PROXY_FROM), so they take HAProxy's PROXY
# v2 header; the same load straight to a plain tcpspawn is the reference.
# All three take turns as in `sliced`, each turn starting with another.
LB_MESSAGES=1600 LB_SESSIONS=1600
# A loopback port nothing listens on (HAProxy needs one given to it).
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((10000 + RANDOM % 22000))   # below the ephemeral range
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
	done
	say "no free port"; exit 1
}
accepting() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# haproxy_over NAME SMTP_HOST1 SMTP_HOST2 POP3_HOST1 POP3_HOST2: HAProxy
# from the shipped file; its ports in $WORK/NAME-smtp.port, NAME-pop3.port.
haproxy_over() {
	local name=$1 smtp pop3
	smtp=$(free_port)
	pop3=$(free_port)
	while [ "$pop3" = "$smtp" ]; do pop3=$(free_port); done
	SMTP_LISTEN=127.0.0.1:$smtp POP3_LISTEN=127.0.0.1:$pop3 \
	SMTP_HOST1=$2 SMTP_HOST2=$3 POP3_HOST1=$4 POP3_HOST2=$5 \
	LB_LOG=stderr CHECK_INTER=2s \
		haproxy -db -f "$REPO/conf/haproxy/haproxy.cfg" \
		< /dev/null > /dev/null 2>> "$WORK/$name.log" &
	SERVERS+=($!)
	for _ in $(seq 200); do
		if accepting "$smtp" && accepting "$pop3"; then
			echo "$smtp" > "$WORK/$name-smtp.port"
			echo "$pop3" > "$WORK/$name-pop3.port"
			return 0
		fi
		sleep 0.05
	done
	say "haproxy $name did not start"; exit 1
}
# lb_load TARGET: this turn's workload ($lb_work) against TARGET, one of
# direct, one, two.
lb_load() {
	local key="${SLICE}lb.$lb_work.$1" name=lb-$1
	case $lb_work in
	deliver) measure "$key" rate deliver -p "$(port "$name-smtp")" \
			-c 8 -n $((LB_MESSAGES / SLICES)) -k 20 -r 50 ;;
	smtp|pop3) measure "$key" rate session -p "$(port "$name-$lb_work")" \
			-P "$lb_work" -c 8 -n $((LB_SESSIONS / SLICES)) ;;
	esac
}
lb_direct() { lb_load direct; }
lb_one() { lb_load one; }
lb_two() { lb_load two; }
# Three-way `sliced`: direct, one backend and two take turns.
lb_turns() {
	local run=$1 i j turn=(lb_direct lb_one lb_two)
	SLICE=slice.
	for i in $(seq $SLICES); do
		for j in 0 1 2; do "${turn[$(((run + i + j) % 3))]}"; done
	done
	SLICE=
	for j in direct one two; do
		record "lb.$lb_work.$j" "$(overall "slice.lb.$lb_work.$j")"
	done
}
LB_SKIPPED=
if ! command -v haproxy > /dev/null; then
	LB_SKIPPED="haproxy is not installed (Debian: apt-get install haproxy)"
	say "== 6. behind HAProxy: skipped, $LB_SKIPPED"
else
	say "== 6. behind HAProxy ($(haproxy -v | sed -n '1s/ - .*//p'))"
	for prog in smtp pop3; do
		serve "lb-direct-$prog" "$REPO/$prog-handler"
		for host in a b; do
			MAIL_PROXY_FROM=127.0.0.1 MAIL_HOSTNAME=bench-$host \
				serve "lb-$host-$prog" "$REPO/$prog-handler"
		done
	done
	a_smtp=127.0.0.1:$(port lb-a-smtp) b_smtp=127.0.0.1:$(port lb-b-smtp)
	a_pop3=127.0.0.1:$(port lb-a-pop3) b_pop3=127.0.0.1:$(port lb-b-pop3)
	haproxy_over lb-one "$a_smtp" "$a_smtp" "$a_pop3" "$a_pop3"
	haproxy_over lb-two "$a_smtp" "$b_smtp" "$a_pop3" "$b_pop3"
	# A warm-up message through each: every path answers before timing.
	for name in lb-direct lb-one lb-two; do
		"$LOADGEN" deliver -p "$(port "$name-smtp")" -n 2 -r 50 > /dev/null
	done
	for run in $(seq "$RUNS"); do
		for lb_work in deliver smtp pop3; do
			lb_turns "$run"
			ratio "lb.$lb_work.one" "lb.$lb_work.one" "lb.$lb_work.direct"
			ratio "lb.$lb_work.two" "lb.$lb_work.two" "lb.$lb_work.direct"
			ratio "lb.$lb_work.spread" "lb.$lb_work.two" "lb.$lb_work.one"
		done
	done
	# A backend HAProxy took out of service would make the figures lie.
	if grep -h ' is DOWN' "$WORK/lb-one.log" "$WORK/lb-two.log" >&2; then
		say "a backend went DOWN during scenario 6"; exit 1
	fi
	# Host b serves only HAProxy over two: it must have had its share.
	if ! grep -q 'delivered id=' "$WORK/lb-b-smtp.log"; then
		say "HAProxy over two backends never used the second"; exit 1
	fi
fi

# ---- 7. a shared mail root on GlusterFS -------------------------------------------

# The volume with the README's setting (performance.stat-prefetch off),
# mounted twice with the client's default options (hosts a and b) and
# twice with attribute-timeout=0,entry-timeout=0 (hosts za and zb), the
# mount options the store's own checks make unnecessary: what they cost.
# Each turn delivers GL_MESSAGES through one pair of hosts, alternating.
source "$REPO/tests/gluster.bash"
GL_MESSAGES=200
GL_TURN=0
GL_SKIPPED=$(gluster_missing)
gl_deliver() {   # gl_deliver PAIR BOXES
	local users out
	users=$(seq -s, -f 'g%.0f' 0 $(($2 - 1)))
	GL_TURN=$((GL_TURN + 1))
	out=$(timeout 300 python3 "$REPO/tests/gluster-load.py" \
		--smtp "$(port "gl-$1a")","$(port "gl-$1b")" --users "$users" \
		--deliveries $GL_MESSAGES --clients 8 --tag "t$GL_TURN" \
		"$GLUSTER_DIR/bricks/mailbench/$1root/USERS") ||
		{ say "gluster-load.py failed"; exit 1; }
	if ! [[ $out == "acked=$GL_MESSAGES lost=0 duplicated=0 resurrected=0 stray=0 unparsable=0 "* ]]; then
		say "GlusterFS delivery lost or damaged mail: $out"; exit 1
	fi
	[[ $out =~ rate=([0-9.]+) ]]
	record "${SLICE}gl.deliver${1:+.$1}.r$2" "${BASH_REMATCH[1]}"
}
gl_default() { gl_deliver "" "$boxes"; }
gl_zero() { gl_deliver z "$boxes"; }
if [ -z "$GL_SKIPPED" ] && ! command -v python3 > /dev/null; then
	GL_SKIPPED="python3 is not installed"
fi
if [ -n "$GL_SKIPPED" ]; then
	say "== 7. GlusterFS: not run, $GL_SKIPPED"
else
	say "== 7. a shared mail root on GlusterFS ($(glusterfs --version | sed -n '1p'))"
	GLUSTER_DIR=$WORK/gluster
	gluster_up "$GLUSTER_DIR" || { say "glusterd did not start"; exit 1; }
	gluster_volume "$GLUSTER_DIR" mailbench performance.stat-prefetch off ||
		{ say "no GlusterFS volume"; exit 1; }
	for host in a b; do
		gluster_mount "$GLUSTER_DIR" mailbench "$GLUSTER_DIR/$host"
		gluster_mount "$GLUSTER_DIR" mailbench "$GLUSTER_DIR/z$host" \
			attribute-timeout=0,entry-timeout=0
	done
	for pair in "" z; do
		root=$GLUSTER_DIR/a/${pair}root
		mkdir -p "$root/USERS"
		for i in $(seq 0 9); do
			echo "g$i pw" >> "$root/userinfo.txt"
			mkdir "$root/USERS/g$i"
		done
		for host in a b; do
			MAIL_ROOT=$GLUSTER_DIR/$pair$host/${pair}root \
			MAIL_HOSTNAME=bench-$pair$host MAIL_LOCK_WAIT=60000 \
				serve "gl-$pair$host" "$REPO/smtp-handler"
		done
	done
	for run in $(seq "$RUNS"); do
		for boxes in 2 10; do
			sliced $run gl_default gl_zero "gl.deliver.r$boxes" \
				"gl.deliver.z.r$boxes"
			ratio "gl.zero.r$boxes" "gl.deliver.z.r$boxes" \
				"gl.deliver.r$boxes"
		done
	done
fi

# ---- the table ------------------------------------------------------------------

# median min max of the figures recorded under KEY
stats() {
	awk -v k="$1" '$1 == k { print $2 }' "$WORK/figures" | sort -g |
	awk '{ v[NR] = $1 }
	     END { if (!NR) { print "- - -"; exit }
		   m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		   print m, v[1], v[NR] }'
}
fmt() { awk -v x="$1" 'BEGIN { if (x == "-") print "-"; else if (x >= 100) printf "%.0f", x; else if (x >= 10) printf "%.1f", x; else printf "%.3g", x }'; }

# row LABEL KEY UNIT [FLOOR_KEY FLOOR_LABEL RATIO CMP LIMIT]: one line of
# the table.  RATIO names the per-run ratios recorded with `ratio` (each
# taken side by side); their median is held against LIMIT (CMP: ge or le).
# With RATIO "-" the median of KEY itself is held against LIMIT.
row() {
	local label=$1 key=$2 unit=$3 fkey=${4:-} flabel=${5:-} rkey=${6:-}
	local cmp=${7:-} limit=${8:-}
	local m lo hi fm r rlo rhi value
	local floor_cell="" ratio_cell="-" target="-" verdict="-"
	read -r m lo hi <<< "$(stats "$key")"
	if [ -n "$fkey" ]; then
		read -r fm _ _ <<< "$(stats "$fkey")"
		floor_cell="$flabel $(fmt "$fm")"
	fi
	if [ -n "$rkey" ] && [ "$rkey" != - ]; then
		read -r r rlo rhi <<< "$(stats "ratio.$rkey")"
		ratio_cell="$(fmt2 "$r") ($(fmt2 "$rlo")-$(fmt2 "$rhi"))"
		value=$r
	else
		value=$m
	fi
	if [ -n "$cmp" ]; then
		target="$([ "$cmp" = ge ] && echo ">=" || echo "<=") $limit"
		verdict=$(awk -v v="$value" -v l="$limit" -v c="$cmp" 'BEGIN {
			ok = c == "ge" ? v >= l : v <= l; print ok ? "yes" : "**no**" }')
	fi
	printf '| %s | %s (%s-%s) %s | %s | %s | %s | %s |\n' "$label" \
		"$(fmt "$m")" "$(fmt "$lo")" "$(fmt "$hi")" "$unit" \
		"$floor_cell" "$ratio_cell" "$target" "$verdict"
}
fmt2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }

table() {
	echo "| measurement | median (min-max) | floor (median) | ratio, median (min-max) | target | met |"
	echo "|---|---|---|---|---|---|"
	for c in 1 8; do
		for link in "${LINKS[@]}"; do
			for prog in smtp pop3; do
				row "1. $prog-handler session, $link, C=$c" \
					"session.$prog.$link.c$c" "sessions/s" \
					"session.floor-$prog.$link.c$c" "floor, $link" \
					"session.$prog.$link.c$c" ge 0.8
			done
			row "1. pop3-handler session, $link, C=$c, vs floor + one lock file" \
				"session.pop3.$link.c$c" "sessions/s" \
				"session.lockfloor.$link.c$c" "floor + lock" \
				"session.lockfloor.$link.c$c" ge 0.8
		done
		for prog in smtp pop3; do
			row "1. floor ($prog dialog): dynamic vs static, C=$c" \
				"session.floor-$prog.dynamic.c$c" "sessions/s" \
				"session.floor-$prog.static.c$c" "floor, static" \
				"session.floor-$prog.dynamic.c$c"
		done
		[ -n "$MUSL_GCC" ] || continue
		for prog in smtp pop3; do
			row "1. floor ($prog dialog): static glibc vs musl, C=$c" \
				"session.floor-$prog.static.c$c" "sessions/s" \
				"session.floor-$prog.musl.c$c" "floor, musl" \
				"session.floor-$prog.static-musl.c$c"
			# (The musl build's own rows above hold it against this floor.)
			for link in static dynamic; do
				row "1. $prog-handler session, $link, C=$c, vs the musl floor" \
					"session.$prog.$link.c$c" "sessions/s" \
					"session.floor-$prog.musl.c$c" "floor, musl" \
					"session.$prog.$link.musl-floor.c$c"
			done
			if [ $prog = smtp ] && [ $c = 8 ]; then
				target=(ge 1.4)
			else
				target=()
			fi
			row "1. $prog-handler session, musl vs static glibc, C=$c" \
				"session.$prog.musl.c$c" "sessions/s" \
				"session.$prog.static.c$c" "static glibc" \
				"session.$prog.musl-static.c$c" "${target[@]}"
		done
	done
	row "2. fsync floor: append $STORED octets, fsync" fsync.floor "/s"
	row "2. same with a lock file made and removed each time" fsync.lock "/s" \
		fsync.floor "fsync" fsync.lock
	row "1-2. lock file made and removed (no fsync), 1 loop" lock.rate.c1 "/s"
	row "1. lock files made and removed, 8 loops at once (8 users)" \
		lock.rate.c8 "/s"
	for c in 1 8; do
		for k in 1 20; do
			for boxes in 1 50; do
				shape="c$c.r$boxes.k$k"
				what="2. delivery C=$c, $k per connection, $boxes mailbox$([ $boxes = 1 ] || echo es)"
				row "$what" "deliver.$shape" "msgs/s" fsync.floor \
					"fsync" "deliver.$shape" ge 0.7
				row "$what: the floor handler storing likewise, vs fsync" \
					"store.$shape" "msgs/s" fsync.floor "fsync" \
					"store-fsync.$shape"
				row "$what, vs the floor handler storing likewise" \
					"deliver.$shape" "msgs/s" "store.$shape" \
					"storing floor" "store.$shape" ge 0.7
				row "$what, vs the floor handler storing nothing" \
					"deliver.$shape" "msgs/s" "dialog.$shape" "dialog" \
					"dialog.$shape"
			done
			row "2. delivery C=$c, $k per connection: 50 mailboxes vs 1" \
				"deliver.c$c.r50.k$k" "msgs/s" "deliver.c$c.r1.k$k" \
				"1 mailbox" "spread.c$c.k$k" \
				$([ $c = 8 ] && echo "ge 1.5")
			row "2. the floor handler storing, C=$c, $k per connection: 50 mailboxes vs 1" \
				"store.c$c.r50.k$k" "msgs/s" "store.c$c.r1.k$k" \
				"1 mailbox" "store-spread.c$c.k$k"
		done
	done
	for n in "${SIZES[@]}"; do
		row "3. PASS to STAT reply, $n messages" "stat.r$n" ms \
			"wc.r$n" "wc -l" "stat.r$n" le 2
	done
	for n in "${SIZES[@]}"; do
		row "3. RETR all (pipelined), $n messages" "retr.r$n" MB/s \
			"stream.r$n" "cat to socket" "retr.r$n" ge 0.5
	done
	row "3. RETR of one 50 MB message (1 run)" retr.big MB/s \
		stream.big "cat to socket" retr.big ge 0.5
	for n in "${SIZES[@]}"; do
		row "4. DELE 1 + QUIT (rewrite), $n messages" "update.r$n" ms \
			"cp.r$n" "cp + fsync" "update.r$n" le 2
	done
	for link in "${LINKS[@]}"; do
		# The musl build is held to 512 KiB, the glibc ones to 2 MiB.
		local rss_max=$([ $link = musl ] && echo 512 || echo 2048)
		for prog in smtp pop3; do
			row "5. $prog-handler peak RSS, $link, every session" \
				"rss.$prog.$link.all" KiB "" "" - le $rss_max
			row "5. $prog-handler peak RSS, $link, 50 MB message" \
				"rss.$prog.$link.big" KiB "" "" - le $rss_max
		done
		row "5. pop3-handler peak RSS, $link, 100000-message maildrop" \
			"rss.pop3.$link.index" KiB "" "" - le $rss_max
		row "5. floor handler peak RSS, $link (the baseline)" \
			"rss.floor.$link" KiB
	done
	if [ -n "$LB_SKIPPED" ]; then
		echo "| 6. behind HAProxy: skipped, $LB_SKIPPED | - |  | - | - | - |"
		return
	fi
	for lb_work in deliver smtp pop3; do
		case $lb_work in
		deliver) what="SMTP delivery C=8, 20 per connection, 50 mailboxes"
			 unit=msgs/s ;;
		*) what="$lb_work-handler session, C=8"; unit=sessions/s ;;
		esac
		row "6. $what, direct (no HAProxy)" "lb.$lb_work.direct" $unit
		row "6. $what, via HAProxy over one backend vs direct" \
			"lb.$lb_work.one" $unit "lb.$lb_work.direct" direct \
			"lb.$lb_work.one"
		row "6. $what, via HAProxy over two backends vs direct" \
			"lb.$lb_work.two" $unit "lb.$lb_work.direct" direct \
			"lb.$lb_work.two"
		row "6. $what, via HAProxy: two backends vs one" \
			"lb.$lb_work.two" $unit "lb.$lb_work.one" "one backend" \
			"lb.$lb_work.spread"
	done
}

# The rows of scenario 7.  The target: three times the 43 msgs/s that
# two hosts delivered into 2 mailboxes on such a volume (with the mount
# options the store needed then) before the store's locking was made to
# wait with fewer round trips.
gl_rows() {
	if [ -n "$GL_SKIPPED" ]; then
		echo "| 7. GlusterFS: not run, $GL_SKIPPED | - |  | - | - | - |"
		return
	fi
	local boxes
	for boxes in 2 10; do
		local what="7. GlusterFS, one brick, stat-prefetch off: delivery C=8 over two hosts, $boxes mailboxes"
		row "$what" "gl.deliver.r$boxes" "msgs/s" "" "" - \
			$([ $boxes = 2 ] && echo "ge 129")
		row "$what, mounted attribute-timeout=0,entry-timeout=0 vs default" \
			"gl.deliver.z.r$boxes" "msgs/s" "gl.deliver.r$boxes" \
			"default mount" "gl.zero.r$boxes"
	done
}

# journal_less_ext4 DIR: "yes" if DIR is on an ext4 mounted without a
# journal (the kernel shows "<none>" as its journal task).
journal_less_ext4() {
	local dev
	dev=$(findmnt -n -o FSTYPE,SOURCE -T "$1" 2>/dev/null |
	      awk '$1 == "ext4" { n = split($2, p, "/"); print p[n] }')
	[ -n "$dev" ] && [ "$(cat "/sys/fs/ext4/$dev/journal_task" 2>/dev/null)" = "<none>" ] &&
		echo yes || echo no
}

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
{
	echo "# Benchmark results"
	echo
	echo "Written by \`make bench\` (tests/bench/run.sh, whose header says how)."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- machine: nproc $(nproc), $(uname -sr), $(findmnt -n -o FSTYPE -T "$WORK" 2>/dev/null || echo '?') under ${TMPDIR:-/tmp}"
	echo "- commit: $commit"
	echo "- runs: $RUNS per figure, interleaved; the build \`make\` ships: $SHIPPED"
	echo
	echo "Each ratio is the median (and range) over the runs of two figures taken"
	echo "back to back; the floor column is the floor's median.  Rows \"vs floor +"
	echo "...\" hold a handler against its floor plus work the design requires"
	echo "and the floor does not do.  A delivery's floors: the fsync loop; the"
	echo "loop with the lock file; the floor handler answering the same dialog"
	echo "(connections, commands, the message) with nothing stored; and the floor"
	echo "handler storing each message as the design requires and no more (lock"
	echo "file, append, fsync, reply) in the same users' directories."
	if [ "$(journal_less_ext4 "$WORK")" = yes ]; then
		echo "This file system is ext4 without a journal: making a file there"
		echo "passes over every inode freed in the last minute (five, while the"
		echo "inode table is unwritten), so lock files cost more here than on a"
		echo "journaled ext4."
	fi
	echo "Builds: musl (musl-gcc -static, the default where installed), static"
	echo "and dynamic (glibc).  Peak RSS includes the moment before the exec"
	echo "(the floor handler's row is that baseline)."
	echo "Scenario 6 puts HAProxy (conf/haproxy/haproxy.cfg, PROXY v2) in front"
	echo "of one and of two handler hosts sharing the mail root; its ratios hold"
	echo "it against the same load sent direct, and two hosts against one."
	echo "Scenario 7 runs two hosts on a one-brick GlusterFS volume of this"
	echo "machine (FUSE mounts, every message checked afterwards)."
	echo
	table
	gl_rows
} > "$WORK/RESULTS.md"
cp "$WORK/RESULTS.md" tests/bench/RESULTS.md
cat tests/bench/RESULTS.md
