// Package sms is journeybot's SMS channel through Twilio.
package sms
