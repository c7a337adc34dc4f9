package gitstore

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// PGPSigner returns a CommitRequest.Sign that signs with the first
// signing key of an ASCII-armored OpenPGP private key, decrypted with
// passphrase when it is encrypted. The key comes from the environment
// (PATCHWAVE_SIGNING_KEY), never from the repository; errors never
// quote it.
func PGPSigner(armoredKey, passphrase string) (func([]byte) (string, error), error) {
	keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armoredKey))
	if err != nil {
		return nil, fmt.Errorf("reading the signing key: not an ASCII-armored OpenPGP private key: %w", err)
	}
	var entity *openpgp.Entity
	for _, e := range keys {
		if e.PrivateKey != nil {
			entity = e
			break
		}
	}
	if entity == nil {
		return nil, errors.New("reading the signing key: it holds no private key (a public key was given?)")
	}
	if entity.PrivateKey.Encrypted {
		if passphrase == "" {
			return nil, errors.New("the signing key is encrypted: set its passphrase (PATCHWAVE_SIGNING_PASSPHRASE)")
		}
		if err := entity.DecryptPrivateKeys([]byte(passphrase)); err != nil {
			return nil, errors.New("the signing key's passphrase is wrong")
		}
	}
	return func(payload []byte) (string, error) {
		var sig bytes.Buffer
		if err := openpgp.ArmoredDetachSign(&sig, entity, bytes.NewReader(payload), &packet.Config{}); err != nil {
			return "", fmt.Errorf("signing: %w", err)
		}
		return sig.String(), nil
	}, nil
}
