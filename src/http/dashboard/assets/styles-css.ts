// The dashboard's stylesheet, served from the package with a content hash. Layout works from a phone
// (tables scroll sideways, the nav wraps) to a laptop; states carry a text label and a shape, never colour alone.
export const STYLES_CSS = String.raw`
*{box-sizing:border-box}
html{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;background:#f6f7f9}
body{margin:0}
a{color:#0b57d0}
:is(a,button,input,select,textarea,summary):focus-visible{outline:3px solid #f0a400;outline-offset:2px}
.skip{position:absolute;left:-9999px}.skip:focus{left:8px;top:8px;background:#fff;padding:6px;z-index:2}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:8px 20px;padding:10px 16px;background:#1b1f24;color:#fff}
header.top a{color:#fff;text-decoration:none;padding:4px 2px}
header.top a[aria-current=page]{border-bottom:3px solid #f0a400}
header.top .brand{font-weight:700;margin-right:8px}
header.top nav{display:flex;flex-wrap:wrap;gap:4px 16px;flex:1}
header.top form{margin:0}
header.top button{background:transparent;color:#fff;border:1px solid #8a939d}
#live-status{font-size:12px;color:#cfd6dd}
main{padding:16px;max-width:1200px;margin:0 auto}
h1{font-size:22px;margin:6px 0 14px}
h1,h2,p,.notice{overflow-wrap:anywhere} /* a long code or id in a heading wraps on a phone */
h2{font-size:17px;margin:22px 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px}
.card{background:#fff;border:1px solid #d9dde3;border-radius:6px;padding:10px 12px}
.card b{display:block;font-size:24px}
.table-wrap{overflow-x:auto;background:#fff;border:1px solid #d9dde3;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid #eceef1;vertical-align:top}
th{background:#f0f2f5;font-weight:600;white-space:nowrap}
td.mono,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:13px;word-break:break-all}
.state{display:inline-block;padding:1px 8px;border-radius:10px;border:1px solid;font-size:12.5px;white-space:nowrap}
.state::before{margin-right:4px}
.s-Running{color:#0a6b2d;border-color:#0a6b2d}.s-Running::before{content:"\25B6"}
.s-Paused{color:#7a5a00;border-color:#7a5a00}.s-Paused::before{content:"\2016"}
.s-Failed,.s-failed,.s-dead{color:#a40e26;border-color:#a40e26}.s-Failed::before,.s-failed::before,.s-dead::before{content:"\2716"}
.s-Terminated,.s-unmounted{color:#555;border-color:#777}.s-Terminated::before,.s-unmounted::before{content:"\25A0"}
.s-mounted,.s-ok,.s-succeeded{color:#0a6b2d;border-color:#0a6b2d}.s-mounted::before,.s-ok::before,.s-succeeded::before{content:"\2714"}
.s-degraded,.s-pending{color:#7a5a00;border-color:#7a5a00}.s-degraded::before,.s-pending::before{content:"\26A0"}
form.inline{display:inline}
.filters{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:end;margin-bottom:12px}
.filters label,.stack label{display:flex;flex-direction:column;font-size:13px;gap:2px}
input,select,textarea,button{font:inherit;padding:6px 9px;border:1px solid #a9b1bb;border-radius:5px;background:#fff;color:inherit}
textarea{width:100%;min-height:110px;font-family:ui-monospace,monospace;font-size:13px}
button{cursor:pointer;background:#0b57d0;color:#fff;border-color:#0b57d0}
button.secondary{background:#fff;color:#0b57d0}
button.danger{background:#a40e26;border-color:#a40e26}
.actions{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0}
.notice{padding:8px 12px;border-radius:5px;border:1px solid #0a6b2d;background:#eef8f1;margin:8px 0}
.notice.error{border-color:#a40e26;background:#fdeff1}
.notice::before{font-weight:700;margin-right:6px;content:"\2714"}
.notice.error::before{content:"\2716"}
.secret{font-family:ui-monospace,monospace;background:#fff8e1;border:1px dashed #7a5a00;padding:8px;word-break:break-all}
dl.props{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:#fff;border:1px solid #d9dde3;border-radius:6px;padding:10px 14px}
dl.props dt{font-weight:600}dl.props dd{margin:0;word-break:break-all}
.pager{display:flex;gap:12px;align-items:center;margin:10px 0}
.chart svg{max-width:100%;height:auto;background:#fff;border:1px solid #d9dde3;border-radius:6px}
.legend span{margin-right:14px;font-size:13px}
.muted{color:#5b636d}
.signin{max-width:380px;margin:12vh auto;background:#fff;border:1px solid #d9dde3;border-radius:8px;padding:20px}
.signin input{width:100%}
pre.log{background:#111;color:#e6e6e6;padding:10px;border-radius:6px;max-height:420px;overflow:auto;font-size:12.5px;white-space:pre-wrap}
@media (max-width:640px){header.top nav{order:3;flex-basis:100%}#live-status{margin-left:auto}}
@media (max-width:640px){main{padding:10px}th,td{padding:6px}.hide-sm{display:none}dl.props{grid-template-columns:1fr}}
`;
