package sources

import (
	"bufio"
	"bytes"
	"strings"
)

// robots is the part of a robots.txt (RFC 9309) that applies to kefu: the
// rules of the group naming "kefu", else of the group for "*".
type robots struct {
	rules []robotsRule
}

type robotsRule struct {
	allow   bool
	pattern string
}

// parseRobots reads robots.txt for the user agent token agent.
func parseRobots(data []byte, agent string) *robots {
	agent = strings.ToLower(agent)
	type group struct {
		agents []string
		rules  []robotsRule
	}
	var groups []*group
	var cur *group
	lastWasAgent := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		switch key {
		case "user-agent":
			if cur == nil || !lastWasAgent {
				cur = &group{}
				groups = append(groups, cur)
			}
			cur.agents = append(cur.agents, strings.ToLower(val))
			lastWasAgent = true
		case "allow", "disallow":
			lastWasAgent = false
			if cur == nil || (key == "disallow" && val == "") {
				continue
			}
			cur.rules = append(cur.rules, robotsRule{allow: key == "allow", pattern: val})
		default:
			lastWasAgent = false
		}
	}
	pick := func(match func(string) bool) *robots {
		var r *robots
		for _, g := range groups {
			for _, a := range g.agents {
				if match(a) {
					if r == nil {
						r = &robots{}
					}
					r.rules = append(r.rules, g.rules...) // groups for one agent are merged
					break
				}
			}
		}
		return r
	}
	if r := pick(func(a string) bool { return a != "*" && strings.HasPrefix(agent, a) }); r != nil {
		return r
	}
	if r := pick(func(a string) bool { return a == "*" }); r != nil {
		return r
	}
	return &robots{}
}

// allowed reports whether kefu may fetch pathQuery (the URL's path and
// query): the longest matching rule decides, allow winning a tie.
func (r *robots) allowed(pathQuery string) bool {
	if r == nil || pathQuery == "/robots.txt" {
		return true
	}
	best, allow := -1, true
	for _, rule := range r.rules {
		if n := len(rule.pattern); n > best || (n == best && rule.allow) {
			if robotsMatch(rule.pattern, pathQuery) {
				if n > best || rule.allow {
					best, allow = n, rule.allow
				}
			}
		}
	}
	return allow
}

// robotsMatch matches a robots.txt path pattern: a prefix, where * matches
// any run of characters and a final $ anchors the end.
func robotsMatch(pattern, s string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	pattern = strings.TrimSuffix(pattern, "$")
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	pos := len(parts[0])
	for i, p := range parts[1:] {
		if i == len(parts)-2 && anchored {
			return strings.HasSuffix(s[pos:], p)
		}
		j := strings.Index(s[pos:], p)
		if j < 0 {
			return false
		}
		pos += j + len(p)
	}
	return !anchored || pos == len(s) || (len(parts) > 1 && parts[len(parts)-1] == "")
}
