"""The host name rule: every custom domain is kept in one form (lowercase, IDNA A-labels, no
trailing dot), and what no certificate can be issued for, or what is the platform's own, is
refused with a message that says why."""
import pytest

from domains.hostname_rule import hostname_clean
from paas.errors import UserError


@pytest.fixture(autouse=True)
def apps_domain(settings):
    settings.PAAS_APPS_DOMAIN = "apps.example.test"


@pytest.mark.parametrize("raw, clean", [
    ("shop.example.com", "shop.example.com"),
    ("  Shop.Example.COM  ", "shop.example.com"),
    ("shop.example.com.", "shop.example.com"),
    ("Bücher.Example", "xn--bcher-kva.example"),
    ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("bücher。example", "xn--bcher-kva.example"),  # a full-width dot, as an IME types it
    ("a-b.c0.example.com", "a-b.c0.example.com"),
    ("3com.example", "3com.example"),
    ("apps.example.test.evil.com", "apps.example.test.evil.com"),
    ("myapps.example.test", "myapps.example.test"),  # beside the platform's domain, not under it
    (f"{'a' * 63}.example.com", f"{'a' * 63}.example.com"),
])
def test_a_valid_name_comes_back_in_its_one_form(raw, clean):
    assert hostname_clean(raw) == clean


def _refused(raw) -> str:
    with pytest.raises(UserError) as refused:
        hostname_clean(raw)
    assert refused.value.status == 400
    return str(refused.value)


@pytest.mark.parametrize("raw", ["*.example.com", "*example.com", "shop.*.example.com"])
def test_wildcards_are_refused_as_not_supported(raw):
    assert "wildcard domains are not supported" in _refused(raw)


@pytest.mark.parametrize("raw", ["127.0.0.1", "10.0.0.1.", "::1", "[::1]", "2001:db8::1", "fe80::1%eth0"])
def test_ip_addresses_are_refused(raw):
    assert "is an IP address" in _refused(raw)


@pytest.mark.parametrize("raw", ["localhost", "example", "com."])
def test_a_single_label_is_refused(raw):
    assert "single label" in _refused(raw)


def test_an_all_digit_last_label_is_refused_as_browsers_read_it_as_an_address():
    assert "last label is all digits" in _refused("1.2.3")


@pytest.mark.parametrize("raw", ["shop..example.com", ".example.com", "shop.example.com.."])
def test_empty_labels_are_refused(raw):
    assert "empty label" in _refused(raw)


def test_a_label_over_63_characters_is_refused():
    assert "at most 63 characters" in _refused(f"{'a' * 64}.example.com")


def test_a_name_over_253_characters_is_refused():
    name = ".".join(["a" * 63] * 4)  # 255
    assert "at most 253 characters" in _refused(name)
    assert "at most 253 characters" in _refused("a." * 2000 + "com")


@pytest.mark.parametrize("raw", ["shop_1.example.com", "shop example.com", "shop!.example.com",
                                 "shop/x.example.com", "shop\x00.example.com"])
def test_labels_other_than_letters_digits_and_hyphens_are_refused(raw):
    assert "only letters, digits and hyphens" in _refused(raw)


@pytest.mark.parametrize("raw", ["-shop.example.com", "shop-.example.com", "shop.example-.com"])
def test_a_leading_or_trailing_hyphen_is_refused(raw):
    assert "start or end with a hyphen" in _refused(raw)


def test_double_hyphens_in_third_and_fourth_place_are_kept_for_idna():
    assert "only IDNA labels" in _refused("ab--cd.example.com")


def test_a_broken_a_label_is_refused():
    assert "not a valid internationalized host name" in _refused("xn--zz.example.com")


def test_a_unicode_label_idna_forbids_is_refused():
    assert "not a valid internationalized host name" in _refused("a\u200db.example.com")


@pytest.mark.parametrize("raw", ["apps.example.test", "shop.apps.example.test", "a.b.APPS.example.test."])
def test_the_platforms_own_names_are_refused(raw):
    assert "platform's own names" in _refused(raw)


@pytest.mark.parametrize("raw, message", [("", "send a"), ("   ", "send a"), (None, "must be a string"),
                                          (42, "must be a string"), (["a.com"], "must be a string")])
def test_nothing_or_not_text_is_refused(raw, message):
    assert message in _refused(raw)
