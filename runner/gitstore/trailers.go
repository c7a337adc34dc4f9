package gitstore

import (
	"regexp"
	"strings"
)

var trailerLine = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9-]*): (.*)$`)

// Trailers parses the trailers of a commit message: the lines "Key:
// Value" of its last paragraph, when every line of it is one (as git
// interpret-trailers reads those the runner writes). A message without
// them has none.
func Trailers(msg string) []Trailer {
	msg = strings.TrimRight(msg, "\n")
	i := strings.LastIndex(msg, "\n\n")
	if i < 0 {
		return nil
	}
	var out []Trailer
	for _, line := range strings.Split(msg[i+2:], "\n") {
		m := trailerLine.FindStringSubmatch(line)
		if m == nil {
			return nil
		}
		out = append(out, Trailer{Key: m[1], Value: m[2]})
	}
	return out
}

// TrailerValues returns the values of key among trailers, in order.
func TrailerValues(trailers []Trailer, key string) []string {
	var out []string
	for _, t := range trailers {
		if strings.EqualFold(t.Key, key) {
			out = append(out, t.Value)
		}
	}
	return out
}

// ShortHash is the first 12 hex digits of a commit hash, as logs show it.
func ShortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
