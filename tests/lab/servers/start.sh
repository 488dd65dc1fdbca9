#!/usr/bin/env bash
# Starts the real mail servers of one lab profile: a Dovecot instance (POP3 + IMAP) and a Postfix
# master (SMTP 25/587/465), each with a private configuration under STATE_DIR, listening on
# BASE_PORT + M for every mail port M the profile serves (the lab's nftables redirect sends
# `ip daddr @profile_k tcp dport M` there). With BASE_PORT 0 they listen on the mail ports
# themselves, on LISTEN_ADDR (tests that give each profile its own address).
#
#   tests/lab/servers/start.sh STATE_DIR PROFILE BASE_PORT [LISTEN_ADDR]
#
# PROFILE: 0|starttls, 1|plain, 2|implicit, 3|legacy (see docs in the lab contract). Runs inside
# a network namespace (the caller's job); never touches the system's own Dovecot/Postfix. Prints
# "pid NAME PID" lines and records the PIDs in STATE_DIR/pids; stop.sh STATE_DIR stops exactly
# those. The self-signed certificate is generated into STATE_DIR once and shared by instances.
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 STATE_DIR PROFILE BASE_PORT [LISTEN_ADDR]" >&2
  exit 2
fi
state=$(realpath -m "$1")
profile=$2
base=$3
addr=${4:-*}

case "$profile" in
  0 | starttls) profile=starttls ;;
  1 | plain) profile=plain ;;
  2 | implicit) profile=implicit ;;
  3 | legacy) profile=legacy ;;
  *)
    echo "$0: unknown profile '$profile'" >&2
    exit 2
    ;;
esac

mkdir -p "$state"
chmod 755 "$state"
port() { echo $((base + $1)); }
inst="$state/$profile-$base"
rm -rf "$inst"
mkdir -p "$inst"
chmod 755 "$inst"

# One certificate for the lab (RSA 2048: every TLS version and cipher family can use it).
if [[ ! -s "$state/cert.pem" ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 \
    -keyout "$state/key.pem" -out "$state/cert.pem" \
    -subj "/C=DE/O=mailsweep lab/OU=servers/CN=mail.lab.example" >/dev/null 2>&1
  chmod 644 "$state/cert.pem" "$state/key.pem"
fi
# A second one for a virtual host: Dovecot presents it only to clients that send this server
# name (SNI), as servers hosting several mail domains do.
sni_name=imap.sni.lab.example
if [[ ! -s "$state/sni-cert.pem" ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 \
    -keyout "$state/sni-key.pem" -out "$state/sni-cert.pem" \
    -subj "/C=DE/O=mailsweep lab/OU=virtual hosts/CN=$sni_name" >/dev/null 2>&1
  chmod 644 "$state/sni-cert.pem" "$state/sni-key.pem"
fi

# ---------------- Dovecot ----------------
dv="$inst/dovecot"
mkdir -p "$dv/run" "$dv/state" "$dv/mail"
chmod 755 "$dv" "$dv/run" "$dv/state"
imap=$(port 143) pop3=$(port 110) imaps=$(port 993) pop3s=$(port 995)
ssl=yes
plaintext_auth=yes  # Dovecot's default: LOGINDISABLED / no USER before TLS
ssl_extra=""
case "$profile" in
  plain)
    ssl=no
    plaintext_auth=no
    imaps=0
    pop3s=0
    ;;
  implicit)
    imap=0
    pop3=0
    ;;
  legacy)
    # Only TLS 1.0: Dovecot 2.3 has no ssl_max_protocol, so the maximum comes from an OpenSSL
    # configuration imported into its environment; @SECLEVEL=0 lets TLS 1.0 (SHA-1) through.
    cat >"$dv/openssl.cnf" <<CNF
openssl_conf = msw_init
[msw_init]
ssl_conf = msw_ssl
[msw_ssl]
system_default = msw_tls
[msw_tls]
MinProtocol = TLSv1
MaxProtocol = TLSv1
CipherString = ALL:@SECLEVEL=0
CNF
    ssl_extra="ssl_min_protocol = TLSv1
ssl_cipher_list = ALL:@SECLEVEL=0
import_environment = TZ OPENSSL_CONF=$dv/openssl.cnf"
    ;;
esac
sni_block=""
if [[ "$ssl" != no ]]; then
  sni_block="local_name $sni_name {
  ssl_cert = <$state/sni-cert.pem
  ssl_key = <$state/sni-key.pem
}"
fi
echo "lab:{PLAIN}lab" >"$dv/passwd"
chmod 644 "$dv/passwd"
cat >"$dv/dovecot.conf" <<CONF
# mailsweep lab: profile $profile, base port $base
base_dir = $dv/run
state_dir = $dv/state
instance_name = msw-$profile-$base
log_path = $dv/log
protocols = imap pop3
listen = $addr
ssl = $ssl
ssl_cert = <$state/cert.pem
ssl_key = <$state/key.pem
disable_plaintext_auth = $plaintext_auth
auth_mechanisms = plain login
mail_location = maildir:$dv/mail/%u
passdb {
  driver = passwd-file
  args = $dv/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$dv/mail/%u
}
login_greeting = Dovecot ready.
default_client_limit = 20000
default_process_limit = 100
service imap-login {
  inet_listener imap {
    port = $imap
  }
  inet_listener imaps {
    port = $imaps
    ssl = yes
  }
  service_count = 0
  client_limit = 20000
  process_min_avail = 1
  vsz_limit = 1G
}
service pop3-login {
  inet_listener pop3 {
    port = $pop3
  }
  inet_listener pop3s {
    port = $pop3s
    ssl = yes
  }
  service_count = 0
  client_limit = 20000
  process_min_avail = 1
  vsz_limit = 1G
}
service anvil {
  client_limit = 60000
}
service auth {
  client_limit = 60000
}
$ssl_extra
$sni_block
CONF
if [[ "$profile" == plain ]]; then
  sed -i '/^ssl_cert\|^ssl_key/d' "$dv/dovecot.conf"
fi
ulimit -n 65536 2>/dev/null || true
# -F: stay in the foreground so the PID we record is the master's.
dovecot -F -c "$dv/dovecot.conf" >"$dv/stdout" 2>&1 &
dovecot_pid=$!
echo "dovecot $dovecot_pid" >>"$state/pids"
echo "pid dovecot $dovecot_pid"

# ---------------- Postfix ----------------
pf="$inst/postfix"
mkdir -p "$pf/conf" "$pf/queue/pid" "$pf/queue/public" "$pf/queue/private" "$pf/data"
chown root:root "$pf/queue" "$pf/queue/pid"
chown postfix:postfix "$pf/queue/private" "$pf/data"
chown postfix:postdrop "$pf/queue/public"
chmod 700 "$pf/queue/private"
chmod 710 "$pf/queue/public"
listen() { [[ "$addr" == "*" ]] && echo "$1" || echo "$addr:$1"; }
tls_level=may
tls_extra=""
case "$profile" in
  plain) tls_level=none ;;
  legacy)
    tls_extra="smtpd_tls_protocols = >=TLSv1, <=TLSv1
smtpd_tls_mandatory_protocols = >=TLSv1, <=TLSv1
tls_medium_cipherlist = ALL:@SECLEVEL=0
tls_high_cipherlist = ALL:@SECLEVEL=0"
    ;;
esac
cat >"$pf/conf/main.cf" <<CONF
# mailsweep lab: profile $profile, base port $base
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mail.lab.example
mydestination =
inet_interfaces = all
inet_protocols = ipv4
maillog_file = $pf/log
maillog_file_prefixes = $pf
smtpd_banner = \$myhostname ESMTP Postfix (Debian/GNU)
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_new_tls_session_rate_limit = 0
default_process_limit = 500
smtpd_tls_cert_file = $state/cert.pem
smtpd_tls_key_file = $state/key.pem
smtpd_tls_security_level = $tls_level
smtpd_tls_session_cache_database =
smtpd_sasl_auth_enable = no
local_recipient_maps =
alias_maps =
alias_database =
$tls_extra
CONF
{
  echo "# service type private unpriv chroot wakeup maxproc command"
  if [[ "$profile" != implicit ]]; then
    echo "$(listen "$(port 25)") inet n - n - - smtpd"
    echo "$(listen "$(port 587)") inet n - n - - smtpd"
  fi
  if [[ "$profile" != plain ]]; then
    echo "$(listen "$(port 465)") inet n - n - - smtpd"
    echo "  -o smtpd_tls_wrappermode=yes"
    echo "  -o smtpd_tls_security_level=encrypt"
  fi
  echo "postlog unix-dgram n - n - 1 postlogd"
  echo "tlsmgr unix - - n 1000? 1 tlsmgr"
  echo "proxymap unix - - n - - proxymap"
  echo "anvil unix - - n - 1 anvil"
} >"$pf/conf/master.cf"
MAIL_CONFIG="$pf/conf" /usr/lib/postfix/sbin/master -c "$pf/conf" -d >"$pf/stdout" 2>&1 &
postfix_pid=$!
echo "postfix $postfix_pid" >>"$state/pids"
echo "pid postfix $postfix_pid"

# Wait (bounded) until the listeners are up so callers can probe right away.
want=()
case "$profile" in
  starttls | legacy) want=(110 143 993 995 25 587 465) ;;
  plain) want=(110 143 25 587) ;;
  implicit) want=(993 995 465) ;;
esac
for _ in $(seq 1 100); do
  missing=0
  for m in "${want[@]}"; do
    p=$(port "$m")
    if [[ "$addr" == "*" ]]; then
      ss -Hltn | awk '{print $4}' | grep -qE ":$p\$" || missing=1
    else
      ss -Hltn | awk '{print $4}' | grep -qx "$addr:$p" || missing=1
    fi
  done
  [[ $missing == 0 ]] && exit 0
  if ! kill -0 "$dovecot_pid" 2>/dev/null || ! kill -0 "$postfix_pid" 2>/dev/null; then
    echo "$0: a server died; see $dv/log $dv/stdout $pf/log $pf/stdout" >&2
    cat "$dv/stdout" "$pf/stdout" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 0.1
done
echo "$0: listeners of profile $profile not up after 10 s" >&2
exit 1
