package intents_test

import (
	"errors"
	"strings"
	"testing"

	"kefu/intents"
)

func TestEvaluateMapped(t *testing.T) {
	const mapping = "bot,label,intent,why\n" +
		"shop,EMI,payment_methods,\n" +
		"shop,RETURN_EXCHANGE,return_refund|exchange,either\n" +
		"shop,NO_NODES,other,\n" +
		"shop,STORES,-,no kefu intent\n" +
		"other_bot,EMI,invoice,another bot's row is ignored\n"
	m, err := intents.ReadLabelMap(strings.NewReader(mapping), "shop")
	if err != nil {
		t.Fatal(err)
	}
	c := fixed{"emi?": intents.PaymentMethods, "swap it": intents.Exchange, "send back": intents.ReturnRefund,
		"refund": intents.RefundStatus, "weather": intents.Other, "joke": intents.Greeting, "shop in Pune": intents.Other}
	exs := []intents.Example{{"emi?", "EMI"}, {"swap it", "RETURN_EXCHANGE"}, {"send back", "RETURN_EXCHANGE"},
		{"refund", "RETURN_EXCHANGE"}, {"weather", "NO_NODES"}, {"joke", "NO_NODES"}, {"shop in Pune", "STORES"}}
	r, err := intents.EvaluateMapped(c, exs, m)
	if err != nil {
		t.Fatal(err)
	}
	if r.Examples != 6 || r.Excluded != 1 {
		t.Errorf("examples %d, excluded %d; want 6 and 1", r.Examples, r.Excluded)
	}
	if r.InScopeAccuracy == nil || *r.InScopeAccuracy != 0.75 || r.OOSRecall == nil || *r.OOSRecall != 0.5 {
		t.Errorf("in-scope accuracy %v, OOS recall %v; want 0.75 (3 of 4, either accepted intent counts) and 0.5", r.InScopeAccuracy, r.OOSRecall)
	}
	if _, err := intents.EvaluateMapped(c, []intents.Example{{"x", "UNKNOWN"}}, m); !errors.Is(err, intents.ErrBadData) {
		t.Errorf("a label missing from the map: err = %v; want ErrBadData", err)
	}
}

func TestReadLabelMapErrors(t *testing.T) {
	for name, data := range map[string]string{
		"no intent column":  "label,why\nEMI,x\n",
		"duplicate label":   "label,intent\nEMI,payment_methods\nEMI,invoice\n",
		"empty intent":      "label,intent\nEMI,\n",
		"empty alternative": "label,intent\nEMI,payment_methods|\n",
		"no rows":           "label,intent\n",
		"no bot column":     "label,intent\nEMI,payment_methods\n",
	} {
		bot := ""
		if name == "no bot column" {
			bot = "shop"
		}
		if _, err := intents.ReadLabelMap(strings.NewReader(data), bot); !errors.Is(err, intents.ErrBadData) {
			t.Errorf("%s: err = %v; want ErrBadData", name, err)
		}
	}
}
