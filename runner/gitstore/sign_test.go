package gitstore_test

import (
	"strings"
	"testing"

	"github.com/patchwave/patchwave/internal/testrepo"
	"github.com/patchwave/patchwave/runner/gitstore"
)

func TestPGPSignerRefusesWhatCannotSign(t *testing.T) {
	private, public := testrepo.PGPKey(t, "runner")
	if _, err := gitstore.PGPSigner(public, ""); err == nil || !strings.Contains(err.Error(), "no private key") {
		t.Errorf("a public key: %v", err)
	}
	if _, err := gitstore.PGPSigner("not a key", ""); err == nil || strings.Contains(err.Error(), "not a key") {
		t.Errorf("garbage (which must not be quoted back): %v", err)
	}
	sign, err := gitstore.PGPSigner(private, "")
	if err != nil {
		t.Fatal(err)
	}
	sig, err := sign([]byte("tree 0\n"))
	if err != nil || !strings.HasPrefix(sig, "-----BEGIN PGP SIGNATURE-----") {
		t.Errorf("signature %q: %v", sig, err)
	}
}

func TestTrailers(t *testing.T) {
	for _, tc := range []struct {
		msg, want string
	}{
		{"subject\n\nbody\n\nPatchwave-Wave: w\nPatchwave-Stage: a\nPatchwave-Stage: b\n", "Patchwave-Wave=w Patchwave-Stage=a Patchwave-Stage=b"},
		{"subject only", ""},
		{"subject\n\nbody: with a colon\nand a second line", ""},
		{"subject\n\nKey: value", "Key=value"},
	} {
		var got []string
		for _, tr := range gitstore.Trailers(tc.msg) {
			got = append(got, tr.Key+"="+tr.Value)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("Trailers(%q) = %v, want %s", tc.msg, got, tc.want)
		}
	}
}
