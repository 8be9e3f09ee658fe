#!/bin/sh
# make-ca.sh DIR: throwaway TLS material for the tests, valid for two days.
#
#   DIR/ca.pem, ca.key           test CA
#   DIR/server.pem, server.key   server certificate for localhost and
#                                127.0.0.1, signed by the test CA
#   DIR/other-ca.pem, .key       a second, unrelated CA (the "wrong CA" test)
#   DIR/wrong.pem, wrong.key     certificate for wrong.example only, signed
#                                by the test CA (the "wrong host name" test)
#
# EC P-256 keys; no system openssl.cnf is read, so the result does not depend
# on the machine's configuration.
set -eu

dir=${1:?usage: make-ca.sh DIR}
mkdir -p "$dir"
cd "$dir"
umask 077

cat > openssl.cnf <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:localhost, IP:127.0.0.1
[ v3_wrong ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:wrong.example
EOF

newkey() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-out "$1" 2>/dev/null
}

ca() {	# ca NAME CN
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout "$1.key" -out "$1.pem" -days 2 \
		-config openssl.cnf -extensions v3_ca -subj "/CN=$2" 2>/dev/null
}

leaf() {	# leaf NAME CN EXTENSIONS
	newkey "$1.key"
	openssl req -new -key "$1.key" -out "$1.csr" -config openssl.cnf \
		-subj "/CN=$2" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key \
		-CAcreateserial -out "$1.pem" -days 2 \
		-extfile openssl.cnf -extensions "$3" 2>/dev/null
	rm -f "$1.csr"
}

ca ca "pam_smsotp test CA"
ca other-ca "unrelated test CA"
leaf server localhost v3_server
leaf wrong wrong.example v3_wrong

# The server (the mock gateway) and the module only need to read these.
chmod 0644 ca.pem other-ca.pem server.pem wrong.pem
openssl verify -CAfile ca.pem server.pem wrong.pem >/dev/null
