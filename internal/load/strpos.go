package load

import (
	"strconv"
	"unicode/utf8"

	"cuelang.org/go/cue"

	"github.com/azagen/azagen/internal/diag"
)

// StringPos maps a byte offset into the string value at path to its line and column in the
// user's file, looking through the literal's escapes and, for a multi-line """ string, its
// stripped indentation. When the value is not one plain literal in a user file (it is
// computed, interpolated or comes from the schema), or offset is out of range, it returns
// the value's own position, as Pos does.
func (s *Source) StringPos(path string, offset int) diag.Position {
	fallback := s.Pos(path)
	if s == nil || offset < 0 {
		return fallback
	}
	v := s.Value.LookupPath(cue.ParsePath(path))
	want, err := v.String()
	if err != nil {
		return fallback
	}
	p := UserPos(v)
	src := s.contents[p.Filename()]
	if !p.IsValid() || p.Offset() >= len(src) {
		return fallback
	}
	decoded, srcOff, ok := decodeLiteral(src[p.Offset():])
	if !ok || decoded != want || offset > len(decoded) {
		return fallback
	}
	abs := p.Offset() + srcOff[offset]
	line, col := 1, 1
	for i := 0; i < abs; {
		r, n := utf8.DecodeRune(src[i:])
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col += n // CUE columns count bytes
		}
		i += n
	}
	return diag.Position{File: p.Filename(), Line: line, Col: col}
}

// decodeLiteral decodes the CUE string literal at the start of b ("...", #"..."#, or a
// """ multi-line string, without interpolations) and returns, for each byte of the decoded
// string and one past its end, the byte offset in b it came from.
func decodeLiteral(b []byte) (string, []int, bool) {
	hashes := 0
	for hashes < len(b) && b[hashes] == '#' {
		hashes++
	}
	i := hashes
	multi := i+3 <= len(b) && string(b[i:i+3]) == `"""`
	if !multi && (i >= len(b) || b[i] != '"') {
		return "", nil, false
	}
	closing := `"` + string(b[:hashes])
	escape := `\` + string(b[:hashes])
	var indent []byte
	if multi {
		closing = `"""` + string(b[:hashes])
		i += 3
		if i >= len(b) || b[i] != '\n' {
			return "", nil, false
		}
		i++
		// The closing line's leading white space is stripped from every line.
		end := indexFrom(b, i, closing)
		if end < 0 {
			return "", nil, false
		}
		ls := end
		for ls > 0 && (b[ls-1] == ' ' || b[ls-1] == '\t') {
			ls--
		}
		indent = b[ls:end]
	}
	if !multi {
		i++ // the opening quote
	}
	var out []byte
	var offs []int
	atLineStart := multi
	for i < len(b) {
		if atLineStart {
			if len(b)-i >= len(indent) && string(b[i:i+len(indent)]) == string(indent) {
				i += len(indent)
			}
			atLineStart = false
		}
		if string(b[i:min(i+len(closing), len(b))]) == closing {
			if multi {
				// The newline before the closing quotes is not part of the string.
				if len(out) > 0 && out[len(out)-1] == '\n' {
					out, offs = out[:len(out)-1], offs[:len(offs)-1]
				}
			}
			offs = append(offs, i)
			return string(out), offs, true
		}
		if string(b[i:min(i+len(escape), len(b))]) == escape {
			j := i + len(escape)
			if j >= len(b) {
				return "", nil, false
			}
			switch b[j] {
			case '(':
				return "", nil, false // interpolation
			case 'u', 'U':
				n := 4
				if b[j] == 'U' {
					n = 8
				}
				if j+1+n > len(b) {
					return "", nil, false
				}
				r, err := strconv.ParseUint(string(b[j+1:j+1+n]), 16, 32)
				if err != nil {
					return "", nil, false
				}
				for _, c := range []byte(string(rune(r))) {
					out, offs = append(out, c), append(offs, i)
				}
				i = j + 1 + n
				continue
			}
			dec, ok := map[byte]byte{'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\', '/': '/', 'a': '\a', 'b': '\b', 'f': '\f', 'v': '\v', '\'': '\''}[b[j]]
			if !ok {
				return "", nil, false
			}
			out, offs = append(out, dec), append(offs, i)
			i = j + 1
			continue
		}
		if b[i] == '\n' {
			if !multi {
				return "", nil, false
			}
			atLineStart = true
		}
		out, offs = append(out, b[i]), append(offs, i)
		i++
	}
	return "", nil, false
}

func indexFrom(b []byte, from int, sub string) int {
	for i := from; i+len(sub) <= len(b); i++ {
		if string(b[i:i+len(sub)]) == sub {
			return i
		}
	}
	return -1
}
