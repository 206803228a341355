package packet

import "strings"

const sharePrefix = "$share/"

// ValidTopicName reports whether s may be used as a Topic Name in PUBLISH:
// at least one character [MQTT-4.7.3-1], no wildcard characters
// [MQTT-3.3.2-2, MQTT-4.7.1-1], at most 65535 bytes of well-formed UTF-8
// without U+0000 [MQTT-1.5.4-1, MQTT-1.5.4-2].
func ValidTopicName(s string) bool {
	if len(s) == 0 || len(s) > MaxStringLen {
		return false
	}
	if strings.ContainsAny(s, "+#") {
		return false
	}
	return validUTF8String(s)
}

// ValidTopicFilter reports whether s is a syntactically valid Topic Filter:
// at least one character [MQTT-4.7.3-1]; "#" only alone in the last level
// [MQTT-4.7.1-1] (3.1.1: [MQTT-4.7.1-2]); "+" only alone in its level
// [MQTT-4.7.1-2] (3.1.1: [MQTT-4.7.1-3]); at most 65535 bytes of
// well-formed UTF-8 without U+0000. Shared subscription syntax is checked
// by ParseShared.
func ValidTopicFilter(s string) bool {
	if len(s) == 0 || len(s) > MaxStringLen || !validUTF8String(s) {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '/' {
			continue
		}
		level := s[start:i]
		if strings.IndexByte(level, '#') >= 0 && (level != "#" || i != len(s)) {
			return false
		}
		if strings.IndexByte(level, '+') >= 0 && level != "+" {
			return false
		}
		start = i + 1
	}
	return true
}

// ParseShared splits a shared subscription filter "$share/{group}/{filter}"
// (§4.8.2). ok reports whether filter has the "$share/" prefix; if it does
// not, the filter is returned unchanged with ok false and err nil. If it
// does but is not valid, err carries TopicFilterInvalid: the ShareName must
// be at least one character [MQTT-4.8.2-1], must not contain "/", "+" or
// "#", and must be followed by "/" and a valid Topic Filter [MQTT-4.8.2-2].
func ParseShared(filter string) (group, topicFilter string, ok bool, err error) {
	if !strings.HasPrefix(filter, sharePrefix) {
		return "", filter, false, nil
	}
	rest := filter[len(sharePrefix):]
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return "", "", true, newErr(TopicFilterInvalid, 0, "shared subscription "+filter+": ShareName must be followed by \"/\" and a Topic Filter [MQTT-4.8.2-2]")
	}
	group, topicFilter = rest[:i], rest[i+1:]
	if group == "" {
		return "", "", true, newErr(TopicFilterInvalid, 0, "shared subscription "+filter+": empty ShareName [MQTT-4.8.2-1]")
	}
	if strings.ContainsAny(group, "+#") {
		return "", "", true, newErr(TopicFilterInvalid, 0, "shared subscription "+filter+": ShareName contains a wildcard [MQTT-4.8.2-2]")
	}
	if !ValidTopicFilter(topicFilter) {
		return "", "", true, newErr(TopicFilterInvalid, 0, "shared subscription "+filter+": invalid Topic Filter after the ShareName [MQTT-4.8.2-2]")
	}
	return group, topicFilter, true, nil
}
