package alerts

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/chainrisk/chainrisk/alerts/notify"
	"github.com/chainrisk/chainrisk/config"
)

// The outbound policy for tenants' subscriptions is notify's (notify.GuardedClient
// enforces it at every dial, for the worker); a tenant's subscription is also held to
// it when made or replaced, which gives the tenant an early, clear answer.

// checkTenantTargets checks the channel URLs of a tenant's subscription at the door;
// errors are *config.Error with paths relative to the subscription. The guarded
// dialer checks again, on the address each name resolves to.
func checkTenantTargets(a config.AlertsConfig, s *config.Subscription) error {
	var errs []error
	check := func(path string, u config.Secret) {
		p, err := url.Parse(u.Reveal())
		if err != nil || p.Hostname() == "" {
			return // NormalizeSubscription has refused it already
		}
		if err := notify.CheckTenantHost(a, p.Hostname()); err != nil {
			errs = append(errs, &config.Error{Path: path, Msg: err.Error()})
		}
	}
	for i, ch := range s.Channels {
		if ch.URL != "" {
			check(fmt.Sprintf("channels[%d].url", i), ch.URL)
		}
		for j, u := range ch.URLs {
			check(fmt.Sprintf("channels[%d].urls[%d]", i, j), u)
		}
	}
	return errors.Join(errs...)
}
