package notify

import (
	"net/netip"
	"testing"
)

// TestRestrictedClass: the ranges of the outbound policy, at their edges, in the
// spellings an attacker would try (IPv4-mapped, NAT64, zoned).
func TestRestrictedClass(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1": "loopback", "127.255.255.254": "loopback", "::1": "loopback",
		"::ffff:127.0.0.1": "loopback", "64:ff9b::7f00:1": "loopback",
		"0.0.0.0": "unspecified", "0.1.2.3": "unspecified", "::": "unspecified",
		"10.0.0.1": "private", "10.255.255.255": "private", "172.16.0.1": "private", "172.31.255.255": "private",
		"192.168.0.1": "private", "::ffff:192.168.1.1": "private", "fd00::1": "private", "fc00::1": "private",
		"fec0::1":         "private",
		"169.254.169.254": "link-local", "169.254.0.1": "link-local", "fe80::1": "link-local", "fe80::1%eth0": "link-local",
		"100.64.0.1": "shared (carrier-grade NAT)", "100.127.255.255": "shared (carrier-grade NAT)",
		"224.0.0.1": "multicast", "ff02::1": "multicast", "255.255.255.255": "reserved", "240.0.0.1": "reserved",
		"198.18.0.1": "reserved", "192.0.0.8": "reserved",
		// Public: just outside each range.
		"8.8.8.8": "", "11.0.0.1": "", "172.15.255.255": "", "172.32.0.1": "", "192.169.0.1": "",
		"100.63.255.255": "", "100.128.0.1": "", "169.253.255.255": "", "169.255.0.1": "", "126.255.255.255": "",
		"128.0.0.1": "", "223.255.255.255": "", "198.20.0.1": "", "1.0.0.1": "",
		"2001:4860:4860::8888": "", "::ffff:8.8.8.8": "", "64:ff9b::808:808": "", "fe00::1": "", "fbff::1": "",
	} {
		if got := restrictedClass(netip.MustParseAddr(addr)); got != want {
			t.Errorf("restrictedClass(%s) = %q, want %q", addr, got, want)
		}
	}
	for host, want := range map[string]string{
		"localhost": "loopback", "LOCALHOST.": "loopback", "api.localhost": "loopback", "127.0.0.1": "loopback",
		"::ffff:127.0.0.1": "loopback", "169.254.169.254": "link-local", "hooks.example.com": "",
		"localhost.example.com": "", "2130706433": "", // a name to the policy: the dialer judges what it resolves to
	} {
		if got := restrictedHost(host); got != want {
			t.Errorf("restrictedHost(%s) = %q, want %q", host, got, want)
		}
	}
}
