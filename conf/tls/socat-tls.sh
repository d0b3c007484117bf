#!/bin/sh
# Implicit TLS (RFC 8314) with socat in front of a mailsuite handler: socat
# does the TLS and forks one handler per connection, which reads the
# decrypted stream on stdin/stdout (a socketpair: the handler takes the
# client's address from SOCAT_PEERADDR).
#
#   socat-tls.sh PORT CERT KEY HANDLER [ARG...]
#   socat-tls.sh 995 /etc/ssl/mailsuite/fullchain.pem \
#       /etc/ssl/mailsuite/privkey.pem /usr/local/libexec/mailsuite/pop3-handler
#
# Run it from the mail root (or pass -r DIR to the handler).  A throwaway
# self-signed certificate for trying it out:
#   openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
#       -keyout key.pem -out cert.pem
set -eu
[ $# -ge 4 ] || { echo "usage: $0 PORT CERT KEY HANDLER [ARG...]" >&2; exit 2; }
port=$1 cert=$2 key=$3
shift 3
exec socat "OPENSSL-LISTEN:$port,reuseaddr,fork,cert=$cert,key=$key,verify=0" \
	"EXEC:$*"
