// One stylesheet for every page, in the colours of Mattermost's default theme (Denim).
export const STYLE = `
:root{--text:#3f4350;--muted:rgba(63,67,80,.72);--line:rgba(63,67,80,.16);--bg:#f2f3f5;--primary:#1c58d9;--primary-dark:#1851c7;
--danger:#d24b4e;--ok:#06d6a0;--ok-text:#1e7b4f;--focus:#f5a623}
*{box-sizing:border-box}
body{margin:0;font-family:"Open Sans",system-ui,-apple-system,"Segoe UI",sans-serif;font-size:14px;line-height:1.45;background:var(--bg);color:var(--text)}
a{color:var(--primary)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.page-title:focus{outline:none}
.sr-only{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);border:0;white-space:nowrap}
.skip{position:absolute;left:-9999px;top:8px;background:#fff;padding:8px 12px;border-radius:4px;z-index:10}
.skip:focus{left:8px}

.topbar{display:flex;align-items:center;gap:24px;height:52px;padding:0 20px;background:#1e325c;color:#fff}
.brand{font-weight:700;font-size:16px;white-space:nowrap}
.topnav{display:flex;gap:4px;flex:1;min-width:0;overflow-x:auto}
.topnav a{color:rgba(255,255,255,.86);text-decoration:none;padding:6px 10px;border-radius:4px;white-space:nowrap}
.topnav a:hover{background:rgba(255,255,255,.12);color:#fff}
.who{display:flex;align-items:center;gap:12px;white-space:nowrap}
.who .username{color:rgba(255,255,255,.8)}
.topbar .btn-tertiary{background:rgba(255,255,255,.12);color:#fff}
.topbar .btn-tertiary:hover{background:rgba(255,255,255,.2)}

.layout{display:flex;min-height:calc(100vh - 52px)}
.sidebar{flex:0 0 240px;background:#fff;border-right:1px solid var(--line);padding:20px 0}
.sidebar-title{font-size:12px;font-weight:700;text-transform:uppercase;letter-spacing:.02em;color:var(--muted);padding:0 20px 8px}
.sidebar ul{list-style:none;margin:0;padding:0}
.sidebar a{display:block;padding:8px 20px;color:var(--text);text-decoration:none;border-left:3px solid transparent}
.sidebar a:hover{background:rgba(28,88,217,.06)}
.sidebar a.active{border-left-color:var(--primary);background:rgba(28,88,217,.08);color:var(--primary);font-weight:600}
.content{flex:1;min-width:0;padding:28px 40px 64px;max-width:1040px}

.page-header{display:flex;align-items:center;justify-content:space-between;gap:16px;flex-wrap:wrap;min-height:44px}
.page-title{font-size:22px;font-weight:600;margin:0 0 8px;display:flex;flex-wrap:wrap;align-items:baseline;gap:4px}
.page-title .crumb{color:var(--muted);text-decoration:none;font-weight:400}
.page-title .crumb:hover{text-decoration:underline}
.crumb-sep{color:var(--muted)}
.intro{color:var(--muted);margin:4px 0 20px;max-width:720px}
.muted{color:var(--muted)}

.btn{display:inline-flex;align-items:center;justify-content:center;gap:8px;min-height:36px;padding:0 16px;border-radius:4px;border:0;
font:inherit;font-weight:600;font-size:14px;cursor:pointer;text-decoration:none;white-space:nowrap}
.btn-primary{background:var(--primary);color:#fff}.btn-primary:hover{background:var(--primary-dark)}
.btn-secondary{background:#fff;color:var(--primary);border:1px solid var(--primary)}.btn-secondary:hover{background:rgba(28,88,217,.06)}
.btn-tertiary{background:rgba(28,88,217,.08);color:var(--primary)}.btn-tertiary:hover{background:rgba(28,88,217,.14)}
.btn-danger{background:var(--danger);color:#fff}
.btn-link,.linkish{background:none;border:0;padding:0;min-height:0;color:var(--primary);font:inherit;font-weight:600;cursor:pointer}
.linkish{font-weight:inherit;text-decoration:underline}
.btn-link:hover{text-decoration:underline}
.danger-link{color:var(--danger)}
.btn-sm{min-height:28px;padding:0 10px;font-size:12px}
.btn-icon{min-width:36px;padding:0 10px;font-size:16px}
.btn:disabled{opacity:.6;cursor:not-allowed}
.btn[aria-busy="true"]{cursor:progress}

.spinner{display:inline-block;width:14px;height:14px;border:2px solid currentColor;border-right-color:transparent;border-radius:50%;animation:spin .8s linear infinite;vertical-align:-2px}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.spinner{animation-duration:2.4s}}
.loading{display:flex;align-items:center;gap:10px;min-height:160px;justify-content:center;color:var(--muted);background:#fff;border:1px solid var(--line);border-radius:8px}

.banner{padding:12px 16px;border-radius:4px;margin:12px 0}
.banner-error{background:rgba(210,75,78,.08);border:1px solid rgba(210,75,78,.4);color:#8e2b2e}

.search{margin:8px 0 16px}
.search input{width:100%;max-width:400px}
.items{list-style:none;margin:0;padding:0;background:#fff;border:1px solid var(--line);border-radius:8px}
.item{display:flex;gap:16px;padding:20px;border-top:1px solid var(--line)}
.item:first-child{border-top:0}
.item-icon{flex:0 0 44px;width:44px;height:44px;border-radius:8px;object-fit:cover;background:#eef1f7}
.item-icon-letter{display:flex;align-items:center;justify-content:center;font-weight:700;font-size:18px;color:var(--primary);background:rgba(28,88,217,.1)}
.item-main{flex:1;min-width:0}
.item-title{display:flex;flex-wrap:wrap;align-items:center;gap:8px;margin-bottom:4px}
.item-name{font-weight:600;font-size:15px}
.item-desc{color:var(--muted);margin-bottom:8px}
.item-actions{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap;white-space:nowrap}
.item-actions a{font-weight:600;text-decoration:none}.item-actions a:hover{text-decoration:underline}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.02em;background:rgba(6,214,160,.16);color:var(--ok-text)}
.badge-info{background:rgba(28,88,217,.12);color:var(--primary)}
.badge-muted{background:rgba(63,67,80,.08);color:var(--muted)}
.details{display:grid;grid-template-columns:max-content minmax(0,1fr);align-items:baseline;gap:4px 12px;margin:8px 0 0;font-size:13px}
.details dt{color:var(--muted)}
.details dd{margin:0;min-width:0}
.details-wide{font-size:14px;gap:10px 16px;margin:16px 0}
.wrap{overflow-wrap:anywhere}
.copy-value{display:inline-flex;align-items:center;gap:8px;flex-wrap:wrap;max-width:100%}
.copy-value code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;background:rgba(63,67,80,.06);padding:2px 6px;border-radius:4px;overflow-wrap:anywhere}
.copy{display:inline-flex}
.secret-box{margin-top:12px;padding:12px;border-radius:4px;background:rgba(255,188,66,.12);border:1px solid rgba(255,188,66,.6)}
.warning{margin:8px 0 0;padding:10px 12px;border-radius:4px;background:rgba(255,188,66,.16);border-left:4px solid #ffbc1f}
.secret-box .warning{background:none;border:0;padding:0}
.empty{background:#fff;border:1px solid var(--line);border-radius:8px;padding:48px 24px;text-align:center;min-height:160px}
.empty h2{font-size:18px;margin:0 0 8px}.empty p{color:var(--muted);margin:0 0 20px}
.empty-line{color:var(--muted);background:#fff;border:1px dashed var(--line);border-radius:8px;padding:20px;margin:0}
.cards{list-style:none;padding:0;margin:16px 0;display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:16px}
.card{display:flex;flex-direction:column;gap:6px;padding:20px;background:#fff;border:1px solid var(--line);border-radius:8px;text-decoration:none;color:var(--text);height:100%}
.card:hover{border-color:var(--primary)}.card strong{color:var(--primary);font-size:15px}.card span{color:var(--muted)}

.backstage-form{background:#fff;border:1px solid var(--line);border-radius:8px;padding:24px 28px;margin-top:12px}
.field{display:grid;grid-template-columns:220px minmax(0,1fr);gap:4px 24px;padding:6px 0;border:0;margin:0;min-width:0}
fieldset.field{padding:6px 0 14px}
.field-label{font-weight:600;padding-top:8px}
legend.field-label{float:left;padding:8px 0 0;width:220px;margin-right:24px}
fieldset.field .field-control{grid-column:2}
.field-label.required::after{content:" *";color:var(--danger)}
.field-control{min-width:0;max-width:560px}
.field-control input[type=text],.field-control input[type=url],.field-control input[type=password],.field-control select,.field-control textarea,.search input{
width:100%;font:inherit;font-size:14px;padding:8px 12px;border:1px solid rgba(63,67,80,.32);border-radius:4px;background:#fff;color:var(--text)}
.field-control textarea{resize:vertical;min-height:72px;font-family:inherit}
.field-control input:focus,.field-control select:focus,.field-control textarea:focus,.search input:focus{outline:none;border-color:var(--primary);box-shadow:0 0 0 2px rgba(28,88,217,.35)}
.field-control input:disabled,.field-control textarea:disabled{background:rgba(63,67,80,.05);color:var(--muted)}
.has-error input,.has-error textarea,.has-error select,textarea[aria-invalid=true]{border-color:var(--danger)}
.field-error{min-height:18px;font-size:12px;font-weight:600;color:var(--danger);padding-top:2px}
.field-help{font-size:12px;color:var(--muted);padding-top:4px}
.radios{display:flex;gap:24px;padding-top:8px}
.radio-options{display:flex;flex-direction:column;gap:2px}
.radios label,.checkbox{display:inline-flex;align-items:center;gap:6px;cursor:pointer;padding-top:6px}
.radios input,.checkbox input{width:16px;height:16px;accent-color:var(--primary)}
.masked{display:flex;gap:8px}
.masked input{letter-spacing:1px}
.validate-row{display:flex;flex-direction:column;align-items:flex-start;gap:8px}
.validate-status{min-height:42px;width:100%}
.validate-validated{color:var(--ok-text);font-weight:600}
.ok-mark{display:inline-flex;align-items:center;justify-content:center;width:18px;height:18px;border-radius:50%;background:var(--ok-text);color:#fff;font-size:12px}
.validate-error{color:#8e2b2e}
.validate-detail{display:block;font-size:12px;color:var(--muted);margin-top:2px}
.connection-hint{min-height:18px;font-size:12px;padding-top:4px;color:var(--muted)}
.hint-connected{color:var(--ok-text);font-weight:600}
.form-footer{border-top:1px solid var(--line);margin-top:16px;padding-top:16px}
.form-buttons{display:flex;justify-content:flex-end;align-items:center;gap:12px;flex-wrap:wrap}
.save-status{color:var(--ok-text);font-weight:600;margin-right:auto}
.confirm-card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:24px 28px;margin-top:12px;max-width:760px}
.confirm-card .form-buttons{margin-top:20px}
.success{color:var(--ok-text);font-size:18px;margin:0 0 8px}
.page-actions{display:flex;justify-content:flex-end;margin:0 0 12px}
.radio-choice{padding-top:6px}
.radio-choice label{display:inline-flex;align-items:center;gap:6px;cursor:pointer;font-weight:600}
.radio-choice input{width:16px;height:16px;accent-color:var(--primary)}
.radio-choice .field-help{padding-left:22px}
.subheading{font-size:15px;margin:20px 0 4px}
.json-doc{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;background:rgba(63,67,80,.06);border-radius:4px;padding:10px 12px;margin:8px 0 0;white-space:pre-wrap;overflow-wrap:anywhere}

.sidebar a.unread{font-weight:700}
.sidebar a.unread::after{content:"";display:inline-block;width:8px;height:8px;border-radius:50%;background:var(--primary);margin-left:8px;vertical-align:middle}
.connection-hints{list-style:none;margin:0;padding:2px 0 0}
.connection-hints .connection-hint{padding-top:2px}
.hint-url{font-family:ui-monospace,Menlo,Consolas,monospace;font-weight:400;color:var(--muted);overflow-wrap:anywhere}

.channel-view{display:flex;flex-direction:column;height:calc(100vh - 144px);min-height:420px}
.channel-header{display:flex;align-items:baseline;justify-content:space-between;gap:12px;border-bottom:1px solid var(--line);padding-bottom:4px}
.channel-posts{flex:1;min-height:0;overflow-y:auto;padding:8px 0}
.posts{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:2px}
.post{padding:8px 12px;border-radius:6px;border-left:3px solid transparent}
.post:hover{background:rgba(63,67,80,.04)}
.post-head{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap;font-size:12px}
.post-author{font-size:14px}
.post-message{white-space:pre-wrap;overflow-wrap:anywhere}
.post-ephemeral{background:rgba(28,88,217,.05);border-left-color:var(--primary)}
.post-only-you{font-style:italic;color:var(--muted)}
.post-reply{font-size:12px}
.attachment{margin:6px 0 2px;padding:8px 12px;border:1px solid var(--line);border-left:4px solid rgba(63,67,80,.32);border-radius:4px;background:#fff;max-width:640px}
.attachment-pretext{margin-bottom:4px}
.attachment-title{font-weight:600}
.attachment-text{white-space:pre-wrap;overflow-wrap:anywhere}
.attachment-actions{display:flex;gap:8px;flex-wrap:wrap;margin-top:8px}
.action-primary{background:var(--primary);color:#fff}
.action-danger{color:var(--danger);border-color:var(--danger)}
.action-good,.action-success{color:var(--ok-text);border-color:var(--ok-text)}
.action-warning{color:#8a6d00;border-color:#ffbc1f}
.attachment-error{color:#8e2b2e;font-size:12px;font-weight:600;margin-top:6px}
.composer{border-top:1px solid var(--line);padding-top:12px}
.composer-row{display:flex;gap:8px;align-items:flex-end}
.composer textarea{flex:1;font:inherit;font-size:14px;padding:8px 12px;border:1px solid rgba(63,67,80,.32);border-radius:4px;resize:vertical;min-height:44px;color:var(--text)}
.composer textarea:focus{outline:none;border-color:var(--primary);box-shadow:0 0 0 2px rgba(28,88,217,.35)}
.composer-help{font-size:12px;padding-top:4px}
.interactive-dialog .field{grid-template-columns:1fr}
.interactive-dialog .field-label{padding-top:0}
.dialog-intro{color:var(--muted);margin:0 0 8px}

.console-section{border-bottom:1px solid var(--line);padding-bottom:8px;margin-bottom:16px}
.console-section h2{font-size:16px;margin:0 0 4px}
.console-section:last-of-type{border-bottom:0;margin-bottom:0}
.switch{position:relative;display:inline-flex;align-items:center;gap:10px;padding-top:6px}
.switch input{position:absolute;opacity:0;width:40px;height:22px;margin:0;cursor:pointer;z-index:1}
.switch-track{width:40px;height:22px;border-radius:11px;background:rgba(63,67,80,.32);position:relative;transition:background .15s}
.switch-track::after{content:"";position:absolute;top:3px;left:3px;width:16px;height:16px;border-radius:50%;background:#fff;transition:left .15s}
.switch input:checked + .switch-track{background:var(--primary)}
.switch input:checked + .switch-track::after{left:21px}
.switch input:focus-visible + .switch-track{outline:3px solid var(--focus);outline-offset:2px}
.switch input:disabled + .switch-track{opacity:.45}
.switch-text{font-weight:600;min-width:24px}
.settings-section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:20px 24px;margin:16px 0}
.settings-section h2{font-size:16px;margin:0 0 4px}
.settings-section .items{border:0;border-top:1px solid var(--line);border-radius:0;margin-top:12px}
.settings-section .item{padding:16px 0}

.backdrop{position:fixed;inset:0;background:rgba(0,0,0,.5);display:flex;align-items:center;justify-content:center;padding:16px;z-index:20}
.dialog{background:#fff;border-radius:8px;box-shadow:0 20px 32px rgba(0,0,0,.2);width:100%;max-width:520px;padding:24px 28px}
.dialog h2{margin:0 0 12px;font-size:20px}
.dialog-body p{margin:0 0 8px}
.dialog-actions{display:flex;justify-content:flex-end;gap:12px;margin-top:20px;flex-wrap:wrap}

@media (max-width:760px){
.topbar{gap:4px 12px;padding:8px 12px;height:auto;min-height:52px;flex-wrap:wrap}.who{margin-left:auto}.who .username{display:none}
.topnav{order:3;flex-basis:100%}.topnav a{padding:6px 8px}
.layout{min-height:calc(100vh - 96px)}
.layout{flex-direction:column}
.sidebar{flex:none;border-right:0;border-bottom:1px solid var(--line);padding:8px 0}
.sidebar-title{display:none}
.sidebar ul{display:flex;flex-wrap:wrap}
.sidebar a{border-left:0;border-bottom:3px solid transparent;white-space:nowrap;padding:8px 12px}
.sidebar a.active{border-bottom-color:var(--primary)}
.content{padding:20px 16px 48px}
.field{grid-template-columns:1fr}
legend.field-label{float:none;width:auto;margin:0}
fieldset.field .field-control{grid-column:1}
.field-label{padding-top:0}
.item{flex-wrap:wrap}
.item-actions{width:100%;padding-left:60px}
.backstage-form,.confirm-card{padding:16px}
}
`;
