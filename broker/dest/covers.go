package dest

// Covers reports whether pattern p matches every name that pattern q matches
// ("a.>" covers "a.b.*", "a.*" does not cover "a.>"). It ranks policy entries:
// of two matching entries the one covered by the other is more specific.
func Covers(p, q string) bool {
	ps, prest, pmore := cut(p)
	qs, qrest, qmore := cut(q)
	for {
		switch {
		case ps == SegGT:
			return true
		case qs == SegGT:
			return false
		case ps == SegStar:
		case ps != qs:
			return false
		}
		switch {
		case !pmore && !qmore:
			return true
		case !pmore:
			return false
		case !qmore:
			next, _, more := cut(prest)
			return next == SegGT && !more
		}
		ps, prest, pmore = cut(prest)
		qs, qrest, qmore = cut(qrest)
	}
}

// MoreSpecific reports whether pattern a should win over pattern b when both
// match a destination: a is covered by b but not the reverse, or, when neither
// covers the other, a has more literal segments.
func MoreSpecific(a, b string) bool {
	ab, ba := Covers(a, b), Covers(b, a)
	switch {
	case ba && !ab:
		return true
	case ab && !ba:
		return false
	}
	return literals(a) > literals(b)
}

func literals(p string) int {
	n := 0
	for seg, rest, more := cut(p); ; seg, rest, more = cut(rest) {
		if seg != SegStar && seg != SegGT {
			n++
		}
		if !more {
			return n
		}
	}
}
