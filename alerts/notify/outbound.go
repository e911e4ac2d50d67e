package notify

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// The outbound policy (docs/reliability.md): a tenant's subscriptions may not make the daemon
// post to its own machine or network — loopback, private, link-local (the cloud
// metadata service at 169.254.169.254 included), unspecified and the like — unless an
// admin listed the target in alerts.allow_private_targets. The check runs on the
// address actually dialled, after name resolution, so neither a name that resolves to
// 127.0.0.1 nor one that changes its answer between checks (DNS rebinding) gets
// through; the literal check at subscription time (CheckTenantHost) only gives the
// tenant an early, clear answer. Admins' and the config file's subscriptions are not
// restricted.

// TargetPolicy is the admin's exceptions to the outbound policy (the config's
// alerts.allow_private_targets): whether a URL's host as written, or ip, the address
// dialled (the zero Addr when not known yet), may be reached all the same.
type TargetPolicy interface {
	PrivateTargetAllowed(host string, ip netip.Addr) bool
}

// restrictedRanges are the address ranges tenants' subscriptions may not reach, with
// the name an error gives them. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are
// judged as the IPv4 address they carry, and so are NAT64 ones (64:ff9b::a.b.c.d),
// which a NAT64 gateway would forward there.
var restrictedRanges = []struct {
	prefix netip.Prefix
	class  string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"}, // "this network": Linux dials 0.0.0.0 as the local host
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // 255.255.255.255 included
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("fc00::/7"), "private"},  // unique local addresses
	{netip.MustParsePrefix("fec0::/10"), "private"}, // site-local, deprecated but routable inside
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// restrictedClass names the restricted range ip is in ("loopback", "private", …), or
// "" for an address tenants may reach.
func restrictedClass(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, r := range restrictedRanges {
		if r.prefix.Contains(ip) {
			return r.class
		}
	}
	return ""
}

// restrictedHost judges a URL's host as written: an address literal by its range,
// localhost and *.localhost (which resolvers answer with loopback) as loopback. Other
// names are judged when dialled.
func restrictedHost(host string) string {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if ip, err := netip.ParseAddr(h); err == nil {
		return restrictedClass(ip)
	}
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return "loopback"
	}
	return ""
}

// CheckTenantHost refuses a host, as a tenant's channel URL writes it, that is a
// restricted address the policy does not let through. The error names the host, its
// class and the way out.
func CheckTenantHost(p TargetPolicy, host string) error {
	class := restrictedHost(host)
	if class == "" {
		return nil
	}
	// What the dialer will see: the literal, or what localhost resolves to.
	ips := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}
	if addr, err := netip.ParseAddr(strings.TrimSuffix(host, ".")); err == nil {
		ips = []netip.Addr{addr}
	}
	for _, ip := range ips {
		if p.PrivateTargetAllowed(host, ip) {
			return nil
		}
	}
	return fmt.Errorf("host %q is %s address, which a tenant's subscription may not target "+
		"(an admin may allow it in alerts.allow_private_targets)", host, withArticle(class))
}

// withArticle puts "a" or "an" before a range's class.
func withArticle(class string) string {
	if strings.ContainsRune("aeiou", rune(class[0])) {
		return "an " + class
	}
	return "a " + class
}

// refusedTarget is the guarded dialer's refusal of a restricted address. Its message
// names the address and is for admins; tenants see "refused: <class> address".
type refusedTarget struct {
	addr  netip.Addr
	class string
}

func (e *refusedTarget) Error() string {
	return fmt.Sprintf("%s is %s address, which a tenant's subscription may not reach (alerts.allow_private_targets)",
		e.addr, withArticle(e.class))
}

// guard dials for tenants' subscriptions: every address a connection is made to is
// checked, after resolution, against the restricted ranges and the policy in force
// at that moment.
type guard struct {
	policy func() TargetPolicy
	// resolver resolves names; nil means the system's. Tests give their own.
	resolver *net.Resolver
	dialer   net.Dialer
}

// dial is an http.Transport's DialContext. A host name the policy lets through is
// dialled as is; any other connection must be to an address outside the restricted
// ranges, or one the policy lets through.
func (g *guard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	p := g.policy()
	d := g.dialer
	d.Resolver = g.resolver
	if !p.PrivateTargetAllowed(host, netip.Addr{}) {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("unreadable address %q", address)
			}
			ip := ap.Addr().WithZone("").Unmap()
			if class := restrictedClass(ip); class != "" && !p.PrivateTargetAllowed(host, ip) {
				return &refusedTarget{addr: ip, class: class}
			}
			return nil
		}
	}
	return d.DialContext(ctx, network, addr)
}

// GuardedClient returns a copy of c (nil: the default transport's settings) whose
// connections keep to the outbound policy: policy is read at every dial, resolver
// resolves names (nil: the system's). Its transport, returned too so that the caller
// can close its idle connections, is a clone of c's, with no proxy — a proxy would
// resolve and connect where the guard cannot look — and no dialers of its own; a
// transport that is not an *http.Transport cannot be guarded.
func GuardedClient(c *http.Client, policy func() TargetPolicy, resolver *net.Resolver) (*http.Client, *http.Transport, error) {
	var cp http.Client
	if c != nil {
		cp = *c
	}
	var tr *http.Transport
	switch t := cp.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = t.Clone()
	default:
		return nil, nil, fmt.Errorf("alerts: the HTTP client's transport (%T) cannot be guarded for tenants' subscriptions", t)
	}
	// The dialer's settings are http.DefaultTransport's.
	g := &guard{policy: policy, resolver: resolver, dialer: net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}}
	tr.Proxy = nil
	tr.OnProxyConnectResponse = nil
	// DialContext must be the only way out: a TLS dialer of the caller's would bypass it.
	//lint:ignore SA1019 the deprecated dialer is cleared, not used
	tr.DialTLS = nil
	tr.DialTLSContext = nil
	tr.DialContext = g.dial
	cp.Transport = tr
	return &cp, tr, nil
}
