#!/usr/bin/env bats
# tcpspawn: the bundled launcher, driven with tiny shell programs over
# bash's /dev/tcp on 127.0.0.1.

load helpers

setup() {
	PORT=$(free_port)
	LOG="$BATS_TEST_TMPDIR/server.log"
}

teardown() {
	stop_servers
}

# spawn [OPTIONS...] -- PROGRAM [ARG...]: start tcpspawn on $PORT.
spawn() {
	local opts=()
	while [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	start_server "$PORT" "$BIN/tcpspawn" -b 127.0.0.1 "${opts[@]}" "$PORT" "$@"
	SPAWN_PID=$(tail -n 1 "$BATS_TEST_TMPDIR/server.pids")
}

# Open a connection on a new fd, stored in the variable named $1.
connect() { exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"; printf -v "$1" %s "$fd"; }

# Wait (bounded) until the server log matches a pattern.
wait_log() {
	for _ in $(seq 100); do
		grep -q -- "$1" "$LOG" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "log never showed: $1" >&2; cat "$LOG" >&2
	return 1
}

# Children of the launcher still in the process table (zombies included).
children() { ps -o pid=,stat= --ppid "$SPAWN_PID" || true; }

@test "sets PROTO and the TCP address variables; fd 2 stays the launcher's" {
	spawn -- /bin/sh -c 'echo "$PROTO $TCPREMOTEIP $TCPLOCALIP $TCPLOCALPORT"
		echo "$TCPREMOTEPORT"; echo "session log line" >&2'
	connect c
	read -r -t 5 vars <&"$c"
	read -r -t 5 remote_port <&"$c"
	not read -r -t 5 extra <&"$c"
	exec {c}>&-
	[ "$vars" = "TCP 127.0.0.1 127.0.0.1 $PORT" ]
	[[ "$remote_port" =~ ^[0-9]+$ ]]
	[ "$remote_port" != "$PORT" ]
	[ -z "$extra" ]
	wait_log "session log line"
	grep -q "serves 127.0.0.1 port $remote_port" "$LOG"
}

@test "serves several connections at the same time" {
	spawn -- /bin/sh -c 'echo hello; cat'
	local fds=()
	for i in 1 2 3 4 5; do connect c; fds+=("$c"); done
	# Every session greets while all five are open: none waits for another.
	for c in "${fds[@]}"; do
		read -r -t 5 line <&"$c"
		[ "$line" = hello ]
	done
	for i in 0 1 2 3 4; do echo "echo $i" >&"${fds[$i]}"; done
	for i in 0 1 2 3 4; do
		read -r -t 5 line <&"${fds[$i]}"
		[ "$line" = "echo $i" ]
		exec {fds[$i]}>&-
	done
}

@test "-c 1 serves a second connection only after the first ends" {
	spawn -c 1 -- /bin/sh -c 'echo "hello $TCPREMOTEPORT"; cat'
	connect first
	read -r -t 5 line <&"$first"
	[[ "$line" == hello* ]]
	connect second
	# While the first session runs the second gets nothing (a bounded wait
	# that can only make a broken cap pass, never a working one fail).
	not read -r -t 1 line <&"$second"
	exec {first}>&-
	read -r -t 5 line <&"$second"
	[[ "$line" == hello* ]]
	exec {second}>&-
}

@test "reaps every session: no zombies once sessions end" {
	spawn -- /bin/sh -c 'echo bye'
	for i in 1 2 3 4 5 6; do
		connect c
		read -r -t 5 line <&"$c"
		[ "$line" = bye ]
		exec {c}>&-
	done
	for _ in $(seq 100); do
		[ -z "$(children)" ] && break
		sleep 0.05
	done
	run children
	[ -z "$output" ]
	kill -0 "$SPAWN_PID"
}

@test "keeps serving after a session crashes, and logs how it ended" {
	spawn -- /bin/sh -c 'read -r cmd
		[ "$cmd" = crash ] && kill -SEGV $$
		[ "$cmd" = fail ] && exit 3
		echo alive'
	connect c; echo crash >&"$c"
	not read -r -t 5 line <&"$c"
	exec {c}>&-
	wait_log "killed by signal 11"
	connect c; echo fail >&"$c"
	not read -r -t 5 line <&"$c"
	exec {c}>&-
	wait_log "exited with status 3"
	connect c; echo fine >&"$c"
	read -r -t 5 line <&"$c"
	exec {c}>&-
	[ "$line" = alive ]
}

@test "a program that cannot run fails its session, not the launcher" {
	spawn -- "$BATS_TEST_TMPDIR/no-such-program"
	connect c
	not read -r -t 5 line <&"$c"
	exec {c}>&-
	wait_log "cannot run .*no-such-program for 127.0.0.1 port [0-9]*: No such file"
	kill -0 "$SPAWN_PID"
}

@test "bad arguments give a usage error and a non-zero exit" {
	for args in "" "$PORT" "-c 0 $PORT /bin/cat" "-c many $PORT /bin/cat" \
		"-b 300.1.1.1 $PORT /bin/cat" "-b localhost $PORT /bin/cat" \
		"70000 /bin/cat" "-1 /bin/cat" "port /bin/cat" "-z $PORT /bin/cat" \
		"-b"; do
		# shellcheck disable=SC2086
		run "$BIN/tcpspawn" $args
		echo "args: $args -> $status: $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"usage: tcpspawn"* ]]
	done
	run "$BIN/tcpspawn" -b 127.0.0.1 -u no-such-user-xyz "$PORT" /bin/cat
	[ "$status" -ne 0 ]
	[[ "$output" == *"no such user"* ]]
}

@test "-p writes the port chosen for PORT 0; IPv6 -b works" {
	"$BIN/tcpspawn" -b 127.0.0.1 -p "$BATS_TEST_TMPDIR/port" 0 \
		/bin/sh -c 'echo "$TCPLOCALPORT"' 2>>"$LOG" &
	echo $! >> "$BATS_TEST_TMPDIR/server.pids"
	for _ in $(seq 100); do
		[ -s "$BATS_TEST_TMPDIR/port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$BATS_TEST_TMPDIR/port")
	[[ "$PORT" =~ ^[0-9]+$ ]]
	[ "$PORT" -gt 0 ]
	connect c
	read -r -t 5 line <&"$c"
	[ "$line" = "$PORT" ]

	# IPv6 only where the loopback interface has ::1.
	if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
		"$BIN/tcpspawn" -b ::1 -p "$BATS_TEST_TMPDIR/port6" 0 \
			/bin/sh -c 'echo "$TCPREMOTEIP"' 2>>"$LOG" &
		echo $! >> "$BATS_TEST_TMPDIR/server.pids"
		for _ in $(seq 100); do
			[ -s "$BATS_TEST_TMPDIR/port6" ] && break
			sleep 0.05
		done
		exec {c}<>"/dev/tcp/::1/$(cat "$BATS_TEST_TMPDIR/port6")"
		read -r -t 5 line <&"$c"
		[ "$line" = "::1" ]
	fi
}

@test "-u drops privileges after binding" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch users"
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	spawn -u nobody -- /bin/sh -c 'id -u'
	connect c
	read -r -t 5 line <&"$c"
	[ "$line" = "$(id -u nobody)" ]
	[ "$(ps -o uid= -p "$SPAWN_PID" | tr -d ' ')" = "$(id -u nobody)" ]
}

@test "SIGTERM stops listening; a session in progress keeps running" {
	spawn -- /bin/sh -c 'echo hello; cat'
	connect c
	read -r -t 5 line <&"$c"
	[ "$line" = hello ]
	kill -TERM "$SPAWN_PID"
	for _ in $(seq 100); do
		kill -0 "$SPAWN_PID" 2>/dev/null || break
		sleep 0.05
	done
	not kill -0 "$SPAWN_PID" 2>/dev/null
	! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || false
	echo still here >&"$c"
	read -r -t 5 line <&"$c"
	[ "$line" = "still here" ]
	exec {c}>&-
	grep -q "stopping on signal 15" "$LOG"
}

@test "-r logs each session's peak RSS when it ends" {
	spawn -r -- sh -c 'echo hi'
	connect fd
	read -r line <&"$fd"
	[ "$line" = hi ]
	exec {fd}<&-
	wait_log "peak RSS [0-9][0-9]* KiB"
	kib=$(sed -n 's/.*pid [0-9]* peak RSS \([0-9]*\) KiB.*/\1/p' "$LOG" | head -n 1)
	[ "$kib" -gt 100 ]
}
