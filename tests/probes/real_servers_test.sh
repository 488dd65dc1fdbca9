#!/usr/bin/env bash
# Integration: real Dovecot + Postfix instances of every lab profile (starttls, plain, implicit,
# legacy TLS 1.0) in a namespace of our own, probed by `mailsweep probe` over all seven mail
# ports; every target must get the right outcome and TLS facts. Also drives a lab-style instance
# (base port 21000, nftables redirect from the mail ports) the way tests/lab uses start.sh, and
# checks that a target's domain (ZGrab2 input) reaches Dovecot as the server name: its virtual
# host's certificate comes back, over STARTTLS and implicit TLS, and the default one without.
#   real_servers_test.sh MAILSWEEP_BINARY
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
servers="$here/../lab/servers"
if [[ "${MSW_IN_NETNS:-}" != 1 ]]; then
  export MSW_IN_NETNS=1
  exec "$here/../lab/in_netns.sh" bash "$0" "$bin"
fi

work=$(mktemp -d /tmp/msw-real-XXXXXX)
chmod 755 "$work"  # Dovecot's unprivileged login processes must reach the state dir
state="$work/state"
cleanup() {
  "$servers/stop.sh" "$state" || true
  rm -rf "$work"
}
trap cleanup EXIT

ip addr add 198.18.1.0/24 dev lo
"$servers/start.sh" "$state" starttls 0 198.18.1.10 >/dev/null
"$servers/start.sh" "$state" plain 0 198.18.1.11 >/dev/null
"$servers/start.sh" "$state" implicit 0 198.18.1.12 >/dev/null
"$servers/start.sh" "$state" legacy 0 198.18.1.13 >/dev/null
# Lab style: profile 1 on base port 21000, mail ports redirected there for 198.18.1.21.
"$servers/start.sh" "$state" 1 21000 >/dev/null
nft -f - <<'NFT'
table ip msw_test {
  chain out {
    type nat hook output priority -100;
    ip daddr 198.18.1.21 tcp dport { 110, 143, 25, 587 } redirect to tcp dport map { 110 : 21110, 143 : 21143, 25 : 21025, 587 : 21587 }
  }
}
NFT

for a in 10 11 12 13 21; do
  for p in 110 143 993 995 25 587 465; do echo "198.18.1.$a,$p"; done
done >"$work/targets.txt"

# A source address other than the servers' own: Dovecot treats same-address clients as secure.
"$bin" probe --allow-reserved 198.18.0.0/15 \
  -f json -i "$work/targets.txt" -o "$work/out.jsonl" --source-ip 198.18.1.200 -c 64 \
  --read-timeout 5000 --target-timeout 20000

fp=$(openssl x509 -in "$state/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : |
  tr 'A-F' 'a-f')
cert="tls.certificate.fingerprint_sha256=$fp tls.certificate.subject.common_name=mail.lab.example"
cert+=" tls.certificate.self_signed=true tls.certificate.key_algorithm=RSA"
cert+=" tls.certificate.key_bits=2048 tls.chain_length=1"
{
  for a in 10 13; do
    v=TLSv1.3
    [[ $a == 13 ]] && v=TLSv1.0
    echo "198.18.1.$a 110 outcome=starttls_ok starttls_advertised=true tls.version=$v $cert"
    echo "198.18.1.$a 143 outcome=starttls_ok login_disabled=true plaintext_login_offered=false tls.version=$v $cert capabilities_tls=~AUTH=PLAIN"
    echo "198.18.1.$a 25 outcome=starttls_ok tls.version=$v $cert banner=~ESMTP"
    echo "198.18.1.$a 587 outcome=starttls_ok tls.version=$v $cert"
    echo "198.18.1.$a 993 outcome=implicit_tls_ok tls.version=$v $cert banner=~Dovecot"
    echo "198.18.1.$a 995 outcome=implicit_tls_ok tls.version=$v $cert banner=~Dovecot"
    echo "198.18.1.$a 465 outcome=implicit_tls_ok tls.version=$v $cert banner=~Postfix"
  done
  for a in 11 21; do
    echo "198.18.1.$a 110 outcome=plaintext_only plaintext_login_offered=true capabilities=~USER"
    echo "198.18.1.$a 143 outcome=plaintext_only plaintext_login_offered=true login_disabled=false"
    echo "198.18.1.$a 25 outcome=plaintext_only starttls_advertised=false"
    echo "198.18.1.$a 587 outcome=plaintext_only"
    for p in 993 995 465; do echo "198.18.1.$a $p outcome=connect_refused"; done
  done
  for p in 110 143 25 587; do echo "198.18.1.12 $p outcome=connect_refused"; done
  for p in 993 995 465; do echo "198.18.1.12 $p outcome=implicit_tls_ok tls.version=TLSv1.3 $cert"; done
} >"$work/expect.txt"
python3 "$here/check_records.py" "$work/out.jsonl" "$work/expect.txt"

# Names: Dovecot's local_name block (start.sh) serves another certificate for imap.sni.lab.example.
cat >"$work/named.txt" <<'T'
198.18.1.10, imap.sni.lab.example, vhost, 143
198.18.1.10, imap.sni.lab.example., vhost, 993
198.18.1.10, other.lab.example, vhost, 995
198.18.1.10, , vhost, 110
T
"$bin" probe --allow-reserved 198.18.0.0/15 \
  -f json -i "$work/named.txt" -o "$work/named.jsonl" --source-ip 198.18.1.200
cat >"$work/expect_named.txt" <<'E'
198.18.1.10 143 outcome=starttls_ok domain=imap.sni.lab.example tls.certificate.subject.common_name=imap.sni.lab.example
198.18.1.10 993 outcome=implicit_tls_ok domain=imap.sni.lab.example tls.certificate.subject.common_name=imap.sni.lab.example
198.18.1.10 995 outcome=implicit_tls_ok domain=other.lab.example tls.certificate.subject.common_name=mail.lab.example
198.18.1.10 110 outcome=starttls_ok tls.certificate.subject.common_name=mail.lab.example
E
python3 "$here/check_records.py" "$work/named.jsonl" "$work/expect_named.txt"

# The legacy servers really are TLS 1.0 only: a default OpenSSL client is refused.
if echo | timeout 5 openssl s_client -connect 198.18.1.13:995 -tls1_2 >/dev/null 2>&1; then
  echo "FAIL legacy server accepted TLS 1.2"
  exit 1
fi
echo "PASS real servers"
