#!/bin/sh
# Implicit TLS (RFC 8314) with socat in front of a mailsuite handler: socat
# does the TLS and forks one handler per connection, which reads the
# decrypted stream on stdin/stdout (a socketpair: the handler takes the
# client's address from SOCAT_PEERADDR).  Every session it runs is
# encrypted, so it tells the handler so (MAIL_TLS=yes: AUTH PLAIN and LOGIN
# are offered to clients anywhere); for submission on 465 add -S yes after
# the handler (AUTH before MAIL).
#
#   socat-tls.sh [ADDR:]PORT CERT KEY HANDLER [ARG...]
#   socat-tls.sh 995 /etc/ssl/mailsuite/fullchain.pem \
#       /etc/ssl/mailsuite/privkey.pem /usr/local/libexec/mailsuite/pop3-handler
#
# ADDR is an IPv4 address to listen on (default: all).  HANDLER and ARGs
# must not hold spaces, commas or colons (socat's EXEC syntax).  Run it
# from the mail root (or pass -r DIR to the handler).  A throwaway
# self-signed certificate for trying it out:
#   openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
#       -keyout key.pem -out cert.pem
set -eu
[ $# -ge 4 ] || {
	echo "usage: $0 [ADDR:]PORT CERT KEY HANDLER [ARG...]" >&2
	exit 2
}
case $1 in
*:*) port=${1##*:} bind=",bind=${1%:*}" ;;
*) port=$1 bind= ;;
esac
cert=$2 key=$3
shift 3
MAIL_TLS=yes
export MAIL_TLS
exec socat "OPENSSL-LISTEN:$port$bind,reuseaddr,fork,cert=$cert,key=$key,verify=0" \
	"EXEC:$*"
