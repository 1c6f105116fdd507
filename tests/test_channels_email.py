"""E-mail: .eml and .mbox threads, quoted replies/signatures/disclaimers removed, HTML made safe,
attachments listed, charsets, malformed messages."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from callscope.channels.email import read_emails, read_mail_file
from callscope.channels.mailtext import html_to_text, own_words
from callscope.channels.read import read_text_input
from callscope.config import ChannelSettings

SETTINGS = ChannelSettings(company_domains=["northwind.example"])


def mail(sender: str, message_id: str, body: str, subject: str = "Refund not received", date: str = "",
         reply_to: tuple[str, ...] = (), html: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@northwind.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = date or "Mon, 02 Mar 2026 09:00:00 +0000"
    if reply_to:
        message["In-Reply-To"] = reply_to[-1]
        message["References"] = " ".join(reply_to)
    if html is None:
        message.set_content(body)
    else:
        message.set_content(html, subtype="html")
    return message


def test_reply_chain_across_eml_files(tmp_path: Path):
    first = mail('"Jane Roe" <Jane.Roe@Mail.example>', "<a1@mail.example>",
                 "Hello,\n\nI returned the kettle three weeks ago and still have no refund.\n\nRegards,\nJane\n")
    answer = mail("Tom <tom@support.northwind.example>", "<b2@northwind.example>",
                  "Dear Jane,\n\nThe refund was issued today.\n\nBest regards,\nTom Baker\nNorthwind Support\n"
                  "\nThis e-mail and any attachments are confidential and intended solely for the addressee.\n\n"
                  "On Mon, 2 Mar 2026 at 09:00, Jane Roe <jane.roe@mail.example> wrote:\n"
                  "> I returned the kettle three weeks ago\n",
                  subject="RE: Refund not received", date="Tue, 03 Mar 2026 10:30:00 +0000",
                  reply_to=("<a1@mail.example>",))
    again = mail("jane.roe@mail.example", "<c3@mail.example>",
                 "Thank you, received.\n> The refund was issued today.\n-- \nJane Roe\n07700 900123\n",
                 subject="Re: RE: Refund not received", date="Wed, 04 Mar 2026 08:00:00 +0000",
                 reply_to=("<a1@mail.example>", "<b2@northwind.example>"))
    other = mail("bob@else.example", "<z9@else.example>", "Can I change my delivery address?",
                 subject="Address", date="Sun, 01 Mar 2026 12:00:00 +0000")
    paths = []
    for name, message in (("3.eml", again), ("1.eml", first), ("2.eml", answer), ("0.eml", other)):
        paths.append(tmp_path / name)
        paths[-1].write_bytes(bytes(message))
    reading = read_emails(paths, SETTINGS)
    assert reading.problems == []
    address, refund = reading.threads                                  # ordered by first message
    assert (address.key, address.customer_id, len(address.messages)) == ("<z9@else.example>", "bob@else.example", 1)
    assert refund.key == "<a1@mail.example>" and refund.channel == "email"
    assert (refund.customer_id, refund.agent, refund.path.name) == ("jane.roe@mail.example", "Tom", "1.eml")
    assert [(m.role, m.author, m.start) for m in refund.messages] == [
        ("customer", "Jane Roe", 0.0), ("agent", "Tom", 91800.0), ("customer", "jane.roe@mail.example", 169200.0)]
    assert [m.text for m in refund.messages] == [
        "Refund not received\n\nHello,\n\nI returned the kettle three weeks ago and still have no refund.",
        "Dear Jane,\n\nThe refund was issued today.",
        "Thank you, received."]


def test_mbox_threads_and_a_malformed_message(tmp_path: Path):
    question = mail("ann@mail.example", "<q@mail.example>", "My card was charged twice.")
    reply = mail("desk@northwind.example", "<r@northwind.example>", "We refunded one charge.\n\n"
                 "-----Original Message-----\nFrom: ann@mail.example\nSent: Monday\nMy card was charged twice.",
                 date="Mon, 02 Mar 2026 09:05:00 +0000", reply_to=("<q@mail.example>",))
    lines = [b"From ann@mail.example Mon Mar  2 09:00:00 2026\n", bytes(question), b"\n",
             b"From nobody Mon Mar  2 09:01:00 2026\n", b"this is not\nan e-mail at all\n", b"\n",
             b"From desk@northwind.example Mon Mar  2 09:05:00 2026\n", bytes(reply), b"\n"]
    path = tmp_path / "support.mbox"
    path.write_bytes(b"".join(lines))
    reading = read_text_input(path, SETTINGS)
    bad_line = b"".join(lines[:3]).count(b"\n") + 1
    assert [str(p) for p in reading.problems] == [
        f"{path}: line {bad_line}: message 2: not an e-mail message (no From header)"]
    [thread] = reading.threads
    assert [(m.role, m.text, m.line) for m in thread.messages] == [
        ("customer", "Refund not received\n\nMy card was charged twice.", 1),
        ("agent", "We refunded one charge.", b"".join(lines[:6]).count(b"\n") + 1)]
    assert (thread.line, thread.customer_id, thread.agent) == (1, "ann@mail.example", "desk@northwind.example")


def test_html_mail_with_a_script_becomes_plain_safe_text(tmp_path: Path):
    html = ("<html><head><style>p {color: red}</style><script>var stolen = document.cookie;</script></head>"
            "<body><p>Your order &amp; invoice are <b>late</b>.</p><script>alert('x')</script>"
            "<p>Quoted markup: &lt;script&gt;alert(1)&lt;/script&gt; and &lt;img src=x onerror=y&gt;</p>"
            "<blockquote>older message</blockquote></body></html>")
    path = tmp_path / "html.eml"
    path.write_bytes(bytes(mail("kim@mail.example", "<h@mail.example>", "", subject="Late", html=html)))
    [thread] = read_text_input(path, SETTINGS).threads
    text = thread.messages[0].text
    assert text.startswith("Late\n\nYour order & invoice are late.")
    for unsafe in ("<script", "<img", "alert('x')", "cookie", "color", "older message", "<b>"):
        assert unsafe not in text


def test_attachments_are_listed_not_read(tmp_path: Path):
    message = mail("lee@mail.example", "<att@mail.example>", "Photo of the damaged box attached.")
    message.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="box.png")
    message.add_attachment("invoice text", filename="invoice.txt")
    path = tmp_path / "att.eml"
    path.write_bytes(bytes(message))
    [thread] = read_text_input(path, SETTINGS).threads
    assert thread.attachments == ("box.png", "invoice.txt")
    assert thread.messages[0].text == "Refund not received\n\nPhoto of the damaged box attached."


def test_declared_and_undeclared_charsets(tmp_path: Path):
    latin = (b"From: luc@mail.example\nTo: s@northwind.example\nSubject: =?iso-8859-1?q?Probl=E8me?=\n"
             b"Message-ID: <l@mail.example>\nMIME-Version: 1.0\n"
             b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
             + "Je n'ai pas reçu ma commande.\n".encode("iso-8859-1"))
    undeclared = (b"From: eve@mail.example\nSubject: price\nMessage-ID: <u@mail.example>\n"
                  b"Content-Transfer-Encoding: 8bit\n\n" + "It costs 20 € more".encode("cp1252"))
    unknown = (b"From: max@mail.example\nSubject: x\nMessage-ID: <k@mail.example>\n"
               b"Content-Type: text/plain; charset=x-klingon\nContent-Transfer-Encoding: 8bit\n\n"
               + "café".encode("utf-8"))
    paths = [tmp_path / "latin.eml", tmp_path / "undeclared.eml", tmp_path / "unknown.eml"]
    for path, data in zip(paths, (latin, undeclared, unknown)):
        path.write_bytes(data)
    reading = read_emails(paths, SETTINGS)
    texts = {t.key: (t.messages[0].text, t.warnings) for t in reading.threads}
    assert texts["<l@mail.example>"] == ("Problème\n\nJe n'ai pas reçu ma commande.", ())
    assert texts["<u@mail.example>"] == ("price\n\nIt costs 20 € more", ())
    assert texts["<k@mail.example>"] == ("x\n\ncafé", (f"{paths[2]}: body not in its declared charset 'x-klingon'",))


def test_replies_to_a_missing_root_share_a_thread(tmp_path: Path):
    paths = []
    for number, sender in enumerate(("a@northwind.example", "c@mail.example")):
        paths.append(tmp_path / f"{number}.eml")
        paths[-1].write_bytes(bytes(mail(sender, f"<m{number}@x>", f"reply {number}",
                                         date=f"Mon, 02 Mar 2026 0{number + 1}:00:00 +0000",
                                         reply_to=("<gone@mail.example>",))))
    [thread] = read_emails(paths, SETTINGS).threads
    assert thread.key == "<m0@x>" and [m.role for m in thread.messages] == ["agent", "customer"]


def test_own_words_cut_quotes_and_closings_but_keep_content():
    body = "Thanks for the quick reply.\nBut the refund is still missing.\n\nThanks,\nAnna\n"
    assert own_words(body) == "Thanks for the quick reply.\nBut the refund is still missing."
    french = ("Bonjour,\nToujours rien reçu.\n\nCordialement\nLuc\n\nLe lun. 2 mars 2026 à 09:00, Support "
              "<s@northwind.example> a écrit :\n> Votre colis est parti.")
    assert own_words(french) == "Bonjour,\nToujours rien reçu."
    below = "On Mon, 2 Mar 2026, Support <s@northwind.example>\nwrote:\n> Fixed?\n\nNo, still broken.\n"
    assert own_words(below) == "No, still broken."
    outlook = "Still broken.\n\nFrom: Support <s@northwind.example>\nSent: Monday, 2 March 2026 09:00\nTo: me\nold"
    assert own_words(outlook) == "Still broken."


def test_html_to_text_leaves_no_tag():
    assert html_to_text("<p>a &lt;/p&gt;&lt;script&gt;x&lt;/script</p>") == "a x< /script"


def test_a_message_without_an_address_is_a_problem_and_the_others_are_read(tmp_path: Path):
    bad, good = tmp_path / "bad.eml", tmp_path / "good.eml"
    undated = tmp_path / "other" / "good.eml"
    undated.parent.mkdir()
    bad.write_bytes(b"From: just a name\nSubject: x\n\nbody\n")
    good.write_bytes(bytes(mail("ok@mail.example", "<ok@mail.example>", "Fine.")))
    undated.write_bytes(b"From: a@b.example\nDate: not a date at all\nSubject: hi\n\nhello\n")
    reading = read_emails([bad, good, undated], SETTINGS)
    assert [str(p) for p in reading.problems] == [f'{bad}: From: "just a name" holds no e-mail address']
    ok, no_id = reading.threads
    assert ok.key == "<ok@mail.example>" and no_id.key.endswith("@callscope>") and no_id.started_at is None
    assert no_id.warnings == (f"{undated}: Date 'not a date at all' is not a date",)


def test_the_messages_of_cpythons_email_tests_are_read_or_reported():
    import email as stdlib_email
    data = Path(stdlib_email.__file__).parent.parent / "test" / "test_email" / "data"
    paths = sorted(data.glob("msg_*.txt"))
    if not paths:
        pytest.skip(f"{data}: CPython's e-mail test messages not installed")
    for path in paths:
        mails, problems = read_mail_file(path)
        assert len(mails) + len(problems) >= 1, path
    threads = read_emails(paths, SETTINGS).threads
    dingus = next(t for t in threads if t.path.name == "msg_07.txt")
    assert dingus.attachments == ("dingusfish.gif",)
    assert all("\n\n\n" not in m.text and m.text == m.text.strip() for t in threads for m in t.messages)
