package xml

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/beevik/etree"

	"github.com/hashi-broker/hashi/config"
)

// JAAS option names of ActiveMQ's login modules.
const (
	jaasUserOpt  = "org.apache.activemq.jaas.properties.user"
	jaasGroupOpt = "org.apache.activemq.jaas.properties.group"
	jaasGuestU   = "org.apache.activemq.jaas.guest.user"
	jaasGuestG   = "org.apache.activemq.jaas.guest.group"
)

// jaasAuth reads jaasAuthenticationPlugin (and the password half of
// jaasDualAuthenticationPlugin). configuration= names an entry of the
// login.config beside the config file; its PropertiesLoginModule names the
// users and groups properties files. Without a login.config, the
// users.properties and groups.properties beside the config file are used.
func (l *loader) jaasAuth(e *etree.Element) *config.Authentication {
	au := config.NewAuthentication(e.Tag)
	au.Pos = l.pos.elem(e)
	a := l.attrs(e, e.Tag)
	au.JAASEntry = "activemq"
	a.strTo("configuration", &au.JAASEntry)
	var discover bool
	a.boolean("discoverLoginConfig", &discover)
	if e.Tag == "jaasDualAuthenticationPlugin" {
		l.warnf(au.Pos, "jaasDualAuthenticationPlugin: client-certificate logins (sslConfiguration) are not supported; only password logins are checked")
	}
	l.anonymous(a, au, kinds(map[attrKind][]string{attrKeep: {"sslConfiguration"}}))
	for _, c := range l.children(e) {
		l.warnf(l.pos.elem(c), "unknown element <%s> in <%s>; ignored", c.Tag, e.Tag)
	}

	l.anchor = au.Pos
	defer func() { l.anchor = config.Pos{} }()
	loginConfig := filepath.Join(l.confDir, "login.config")
	data, err := l.opts.ReadFile(loginConfig)
	usersFile := filepath.Join(l.confDir, "users.properties")
	groupsFile := filepath.Join(l.confDir, "groups.properties")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// No login.config: the properties files beside the config file.
	case err != nil:
		l.errorf(au.Pos, "%s: cannot read %s: %v", e.Tag, loginConfig, err)
		return au
	default:
		au.JAASConfiguration = loginConfig
		mods, err := parseLoginConfig(string(data))
		if err != nil {
			l.errorf(config.Pos{File: l.display(loginConfig), Line: err.line, Col: 1}, "%s", err.msg)
			return au
		}
		entry, ok := mods[au.JAASEntry]
		if !ok {
			l.errorf(a.pos("configuration"), "%s: login.config %s has no entry %q", e.Tag, loginConfig, au.JAASEntry)
			return au
		}
		found := false
		for _, m := range entry {
			pos := config.Pos{File: l.display(loginConfig), Line: m.line, Col: 1}
			switch short := m.class[strings.LastIndex(m.class, ".")+1:]; short {
			case "PropertiesLoginModule":
				if found {
					l.warnf(pos, "login.config entry %q: a second PropertiesLoginModule ignored", au.JAASEntry)
					continue
				}
				found = true
				base := filepath.Dir(loginConfig)
				if v := m.options["baseDir"]; v != "" {
					base = l.pathFrom(filepath.Dir(loginConfig), v)
				}
				usersFile = l.pathFrom(base, optOr(m.options, jaasUserOpt, "users.properties"))
				groupsFile = l.pathFrom(base, optOr(m.options, jaasGroupOpt, "groups.properties"))
				if strings.EqualFold(m.options["reload"], "true") {
					l.warnf(pos, "login.config entry %q: reload=true: Hashi reads the properties files when the configuration is (re)loaded", au.JAASEntry)
				}
			case "GuestLoginModule":
				au.AnonymousAccessAllowed = true
				au.AnonymousUser = optOr(m.options, jaasGuestU, "guest")
				au.AnonymousGroup = optOr(m.options, jaasGuestG, "guests")
				if strings.EqualFold(m.options["credentialsInvalidate"], "true") {
					l.warnf(pos, "login.config entry %q: GuestLoginModule credentialsInvalidate is not supported: clients that send wrong credentials are refused, not made guests", au.JAASEntry)
				}
			default:
				l.errorf(pos, "login.config entry %q: login module %s is not supported (only PropertiesLoginModule and GuestLoginModule)", au.JAASEntry, m.class)
			}
		}
		if !found {
			l.errorf(a.pos("configuration"), "%s: login.config entry %q has no PropertiesLoginModule", e.Tag, au.JAASEntry)
			return au
		}
	}
	au.UsersFile, au.GroupsFile = usersFile, groupsFile
	l.jaasUsers(au)
	return au
}

func optOr(m map[string]string, k, def string) string {
	if v, ok := m[k]; ok && v != "" {
		return v
	}
	return def
}

// pathFrom resolves p (placeholders expanded, "file:" dropped) against dir.
func (l *loader) pathFrom(dir, p string) string {
	if v, err := l.res.expand(p); err == nil {
		p = v
	}
	p = strings.TrimPrefix(p, "file:")
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return filepath.Clean(p)
}

// jaasUsers reads users.properties (user=password) and groups.properties
// (group=user1,user2; split on ',' without trimming, as ActiveMQ does).
func (l *loader) jaasUsers(au *config.Authentication) {
	udata, err := l.opts.ReadFile(au.UsersFile)
	if err != nil {
		l.errorf(au.Pos, "%s: cannot read users file %s: %v", au.Plugin, au.UsersFile, err)
		return
	}
	index := map[string]int{}
	for _, p := range parseProperties(string(udata)) {
		pos := config.Pos{File: l.display(au.UsersFile), Line: p.line, Col: 1}
		if _, dup := index[p.key]; !dup {
			index[p.key] = len(au.Users)
		}
		au.Users = append(au.Users, config.User{Pos: pos, Name: p.key, Password: p.value})
	}
	gdata, err := l.opts.ReadFile(au.GroupsFile)
	if err != nil {
		l.errorf(au.Pos, "%s: cannot read groups file %s: %v", au.Plugin, au.GroupsFile, err)
		return
	}
	for _, p := range parseProperties(string(gdata)) {
		pos := config.Pos{File: l.display(au.GroupsFile), Line: p.line, Col: 1}
		for _, member := range strings.Split(p.value, ",") {
			if member == "" {
				continue
			}
			if t := strings.TrimSpace(member); t != member {
				l.warnf(pos, "group %q: user name %q has leading or trailing spaces; ActiveMQ does not trim them, so it will not match user %q", p.key, member, t)
			}
			i, ok := index[member]
			if !ok {
				if strings.TrimSpace(member) == member {
					l.warnf(pos, "group %q lists %q, who is not in %s", p.key, member, filepath.Base(au.UsersFile))
				}
				continue
			}
			au.Users[i].Groups = append(au.Users[i].Groups, p.key)
		}
	}
}

// loginModule is one module line of a login.config entry.
type loginModule struct {
	class   string
	flag    string
	options map[string]string
	line    int
}

type loginConfigErr struct {
	line int
	msg  string
}

// parseLoginConfig reads JAAS login.config syntax:
//
//	name { class flag key="value" ...; ... };
//
// with // and /* */ comments. It returns the modules of each entry.
func parseLoginConfig(src string) (map[string][]loginModule, *loginConfigErr) {
	toks, lerr := lexLoginConfig(src)
	if lerr != nil {
		return nil, lerr
	}
	out := map[string][]loginModule{}
	i := 0
	next := func() (lcTok, bool) {
		if i >= len(toks) {
			return lcTok{}, false
		}
		i++
		return toks[i-1], true
	}
	errAt := func(t lcTok, format string, args ...any) *loginConfigErr {
		return &loginConfigErr{t.line, "login.config: " + fmt.Sprintf(format, args...)}
	}
	for i < len(toks) {
		name, _ := next()
		if name.punct {
			return nil, errAt(name, "expected an entry name, got %q", name.text)
		}
		if t, ok := next(); !ok || !t.is("{") {
			return nil, errAt(name, "expected '{' after entry %q", name.text)
		}
		var mods []loginModule
		for {
			t, ok := next()
			if !ok {
				return nil, errAt(name, "entry %q is not closed with '};'", name.text)
			}
			if t.is("}") {
				break
			}
			flag, ok := next()
			if !ok || flag.punct {
				return nil, errAt(t, "module %s: expected a flag (required, requisite, sufficient, optional)", t.text)
			}
			m := loginModule{class: t.text, flag: flag.text, options: map[string]string{}, line: t.line}
			for {
				k, ok := next()
				if !ok {
					return nil, errAt(t, "module %s: missing ';'", t.text)
				}
				if k.is(";") {
					break
				}
				if eq, ok := next(); !ok || !eq.is("=") {
					return nil, errAt(k, "module %s: expected '=' after option %q", t.text, k.text)
				}
				v, ok := next()
				if !ok || v.punct {
					return nil, errAt(k, "module %s: option %q has no value", t.text, k.text)
				}
				m.options[k.text] = v.text
			}
			mods = append(mods, m)
		}
		if t, ok := next(); !ok || !t.is(";") {
			return nil, errAt(name, "entry %q: expected ';' after '}'", name.text)
		}
		out[name.text] = append(out[name.text], mods...)
	}
	return out, nil
}

type lcTok struct {
	text  string
	punct bool
	line  int
}

func (t lcTok) is(p string) bool { return t.punct && t.text == p }

func lexLoginConfig(s string) ([]lcTok, *loginConfigErr) {
	var toks []lcTok
	line := 1
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "//") || c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return nil, &loginConfigErr{line, "login.config: unterminated /* comment"}
			}
			line += strings.Count(s[i:i+2+end], "\n")
			i += end + 4
		case c == '{' || c == '}' || c == ';' || c == '=':
			toks = append(toks, lcTok{string(c), true, line})
			i++
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(s) && s[j] != c {
				j++
			}
			if j >= len(s) {
				return nil, &loginConfigErr{line, "login.config: unterminated quoted string"}
			}
			toks = append(toks, lcTok{s[i+1 : j], false, line})
			line += strings.Count(s[i:j], "\n")
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\r\n{};=\"'", rune(s[j])) {
				j++
			}
			toks = append(toks, lcTok{s[i:j], false, line})
			i = j
		}
	}
	return toks, nil
}
