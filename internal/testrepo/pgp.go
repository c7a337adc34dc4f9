package testrepo

import (
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// PGPKey makes a new OpenPGP key (Ed25519, quick to make) and returns it
// ASCII-armored: the private key, as PATCHWAVE_SIGNING_KEY holds it, and
// the public key, as policy.trusted_keys lists it.
func PGPKey(t testing.TB, name string) (private, public string) {
	t.Helper()
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA}
	e, err := openpgp.NewEntity(name, "test", name+"@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var priv, pub strings.Builder
	w, err := armor.Encode(&priv, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivate(w, cfg); err != nil {
		t.Fatal(err)
	}
	w.Close()
	w, err = armor.Encode(&pub, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return priv.String(), pub.String()
}
