package sms

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/journeybot/journeybot/journeystate"
)

// check reports the first option that makes the channel unusable.
func (o Options) check() error {
	switch {
	case o.AccountSID == "":
		return errors.New("sms: the Twilio account SID is required")
	case o.AuthToken == "":
		return errors.New("sms: the Twilio auth token is required")
	case o.PublicURL == "":
		return errors.New("sms: the public URL is required: Twilio signs webhooks with the URL it calls")
	}
	for name, raw := range map[string]string{"public URL": o.PublicURL, "Twilio API base URL": o.APIBaseURL} {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("sms: the %s %q is not an absolute http(s) URL without query", name, raw)
		}
	}
	if o.From != "" {
		if n, err := journeystate.NormalizePhone(o.From, ""); err != nil || n != o.From {
			return fmt.Errorf("sms: the default from number %q is not in E.164 (+14155550100)", o.From)
		}
	}
	return nil
}
