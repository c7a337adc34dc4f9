package render

import (
	"io"
	"strings"
	"unicode/utf8"
)

// ANSI colours for Text and Diff.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// painter colours text when colour is on and leaves it alone otherwise.
type painter bool

func (p painter) paint(color, s string) string {
	if !p || color == "" || s == "" {
		return s
	}
	return color + s + ansiReset
}

// cell is one cell of an aligned table and its colour. Colours are
// applied after padding, so escape codes never count as width (which
// text/tabwriter would get wrong).
type cell struct {
	text, color string
}

func plain(s string) cell { return cell{text: s} }

// table writes rows with columns aligned, two spaces apart, without
// trailing blanks.
type table struct {
	indent string
	rows   [][]cell
}

func (t *table) add(cells ...cell) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer, p painter) {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	var b strings.Builder
	for _, r := range t.rows {
		b.Reset()
		b.WriteString(t.indent)
		last := len(r) - 1
		for last >= 0 && r[last].text == "" {
			last--
		}
		for i := 0; i <= last; i++ {
			c := r[i]
			b.WriteString(p.paint(c.color, c.text))
			if i < last {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)+2))
			}
		}
		b.WriteByte('\n')
		io.WriteString(w, b.String())
	}
}
