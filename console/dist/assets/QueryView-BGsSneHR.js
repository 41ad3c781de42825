import{f as ae,T as F,d as T,A as L,h as oe,u as r,S as le,i as ce,c as ue,E as pe,L as de,e as V}from"./index-B9GIOVrJ.js";const D=/[_A-Za-z]/,Z=/[_0-9A-Za-z]/;function H(e){const n=[];let t=0,a=0,i=null;const c=o=>{i&&i.kind!=="fragment"&&i.kind!=="other"&&n.push({kind:i.kind,name:i.name,start:i.start,end:o}),i=null};for(;t<e.length;){const o=e[t];if(o==="#"){for(;t<e.length&&e[t]!==`
`&&e[t]!=="\r";)t++;continue}if(o==='"'){if(e.startsWith('"""',t)){for(t+=3;t<e.length&&!e.startsWith('"""',t);)t+=e.startsWith('\\"""',t)?4:1;t+=3}else{for(t++;t<e.length&&e[t]!=='"'&&e[t]!==`
`;)t+=e[t]==="\\"?2:1;t++}continue}if(o==="{"||o==="("||o==="["){a===0&&o==="{"&&(i?i.opened=!0:i={kind:"query",name:null,start:t,opened:!0}),a++,t++;continue}if(o==="}"||o===")"||o==="]"){a=Math.max(0,a-1),t++,a===0&&o==="}"&&i?.opened&&c(t);continue}if(a===0&&D.test(o)){let p=t+1;for(;p<e.length&&Z.test(e[p]);)p++;const h=e.slice(t,p);if(!i){const $=h==="query"||h==="mutation"||h==="subscription"||h==="fragment"?h:"other";i={kind:$,name:null,start:t,opened:!1};let d=p;for(;d<e.length&&/[\s,]/.test(e[d]);)d++;if($!=="other"&&d<e.length&&D.test(e[d])){let u=d+1;for(;u<e.length&&Z.test(e[u]);)u++;i.name=e.slice(d,u),p=u}}t=p;continue}t++}return i&&c(e.length),n}function fe(e,n){const t=H(e),a=n?.trim();if(t.length===0)return{error:"The document holds no operation (query, mutation or subscription)."};if(a){const i=t.find(c=>c.name===a);return i?{op:i}:{error:`No operation is named "${a}".`}}return t.length>1?{error:"The document holds several operations: give the operation name to run."}:{op:t[0]}}function he(e,n){return n.start===0||e.slice(0,n.start).trim()===""?e:`${e.slice(n.start,n.end)}

${e.slice(0,n.start)}${e.slice(n.end)}`}function me(e){if(e.trim()==="")return{value:{}};let n;try{n=JSON.parse(e)}catch(t){return{error:`Variables are not valid JSON: ${t.message}`}}return!n||typeof n!="object"||Array.isArray(n)?{error:'Variables must be a JSON object, like {"first": 10}.'}:{value:n}}function R(e){return Array.isArray(e)?e.map(R):e&&typeof e=="object"?Object.fromEntries(Object.entries(e).filter(([n])=>n!=="__typename").map(([n,t])=>[n,R(t)])):e}function X(e){return/(^|[^_0-9A-Za-z])__typename([^_0-9A-Za-z]|$)/.test(e.replace(/#[^\n\r]*/g,""))}function j(e){return e?e.kind==="NON_NULL"?`${j(e.ofType)}!`:e.kind==="LIST"?`[${j(e.ofType)}]`:e.name??"?":"?"}const ee="countersign.queryHistory",K=20;function ye(e,n,t=K){const a=i=>i.query===n.query&&i.variables===n.variables&&i.operationName===n.operationName;return[n,...e.filter(i=>!a(i))].slice(0,t)}function be(e){if(!e||typeof e!="object")return!1;const n=e;return typeof n.query=="string"&&typeof n.variables=="string"&&typeof n.operationName=="string"&&typeof n.at=="string"}function Y(e){try{const n=JSON.parse(e.getItem(ee)??"[]");return Array.isArray(n)?n.filter(be).slice(0,K):[]}catch{return[]}}function B(e,n){const t=n.slice(0,K).map(({query:a,variables:i,operationName:c,at:o})=>({query:a,variables:i,operationName:c,at:o}));try{e.setItem(ee,JSON.stringify(t))}catch{}}function ge(e){if(e.operationName)return e.operationName;const n=H(e.query)[0];return n?.name?`${n.kind} ${n.name}`:(e.query.split(`
`).map(a=>a.trim()).find(a=>a!==""&&!a.startsWith("#"))??"(empty)").slice(0,60)}function qe(e){if(!e||typeof e!="object")return{message:String(e)};const n=e,t=n.originalError,a=t&&typeof t=="object"&&typeof t.message=="string"?t:n,i={message:typeof a.message=="string"?a.message:String(n.message??"")};for(const c of["locations","path","extensions"]){const o=a[c]??n[c];o!=null&&(c==="extensions"&&typeof o=="object"&&Object.keys(o).length===0||(i[c]=o))}return i}function ve(e){const n=e.extensions,t=typeof n?.code=="string"?` (${n.code})`:"",a=Array.isArray(e.path)&&e.path.length>0?` at ${e.path.join(".")}`:"";return`${String(e.message)}${t}${a}`}V(`
  fragment QueryPageTypeRef on __Type {
    kind
    name
    ofType {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
          }
        }
      }
    }
  }
`);V(`
  fragment QueryPageRoot on __Type {
    name
    fields {
      name
      description
      args {
        name
        description
        defaultValue
        type {
          ...QueryPageTypeRef
        }
      }
      type {
        ...QueryPageTypeRef
      }
    }
  }
`);const ke=V(`
  query QueryPageSchema {
    __schema {
      queryType {
        ...QueryPageRoot
      }
      mutationType {
        ...QueryPageRoot
      }
      subscriptionType {
        ...QueryPageRoot
      }
    }
  }
`),G=[{label:"me",query:`# Who am I? The credential's subject, tenant and roles.
query Me {
  me {
    subject
    tenant
    roles
  }
}
`,variables:""},{label:"approvalQueue",query:`# What I may decide now, oldest due first.
query Queue($workflowKey: String, $first: Int!) {
  approvalQueue(workflowKey: $workflowKey, first: $first) {
    totalCount
    edges {
      node {
        id
        workflowKey
        title
        status
        amount
        currency
        confidence
        dueAt
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`,variables:`{
  "workflowKey": null,
  "first": 5
}`},{label:"analytics",query:`# ROI figures (auditor, admin): see docs/analytics.md.
query Analytics($filter: AnalyticsFilter) {
  analytics(filter: $filter) {
    totals {
      submitted
      autoApproved
      humanApproved
      rejected
    }
    autoApprovalRate
    cycleTime {
      p50Seconds
      p90Seconds
    }
    cost {
      aiCostUsd
      reviewCostUsd
      totalCostUsd
    }
    roi {
      hoursSaved
      valueSavedUsd
      netValueUsd
      roi
    }
    series {
      bucketStart
      submitted
    }
  }
}
`,variables:`{
  "filter": {
    "granularity": "WEEK"
  }
}`}],M=20;function Se(){const{client:e}=ae(),n=F(()=>Y(sessionStorage)[0],[]),[t,a]=T(n?.query??G[0].query),[i,c]=T(n?.variables??""),[o,p]=T(n?.operationName??""),[h,$]=T(()=>Y(sessionStorage)),[d,u]=T(null),[l,N]=T(null),[q,I]=T(null),_=L(null),J=L(null),z=L(null);oe(()=>()=>_.current?.unsubscribe(),[]);const te=F(()=>H(t).map(s=>s.name).filter(s=>!!s),[t]),P=()=>{_.current?.unsubscribe(),_.current=null,I(null)},re=()=>{const s=ye(h,{query:t,variables:i,operationName:o.trim(),at:new Date().toISOString()});$(s),B(sessionStorage,s)},C=(s,b,f,v,g)=>{const m=f.error?.networkError,k=Array.isArray(m)?m:[],x=m&&!Array.isArray(m)?m instanceof Error?m.message:String(m):void 0,w=[...f.error?.graphQLErrors??[],...k].map(qe),S=X(t),A=f.data===void 0?null:S?f.data:R(f.data),y={};w.length&&(y.errors=w),y.data=A,f.extensions&&(y.extensions=f.extensions);const E=JSON.stringify(v?v.map(O=>S?O:R(O)):y,null,2);N({kind:s,ms:Math.round(performance.now()-b),text:E,errors:w.map(ve),...x?{network:x}:{},...v?{events:g??v.length}:{}})},W=async()=>{if(q==="query"||q==="mutation")return;P(),u(null);const s=k=>{u(k),N(null)},b=fe(t,o);if(b.error!==void 0)return s(b.error);const f=me(i);if(f.error!==void 0)return s(f.error);const v=he(t,b.op),g=b.op.kind;re();const m=performance.now();I(g);try{if(g==="subscription"){const w=[];let S=0,A=null,y=null;const E=()=>{y=null,A&&C(g,m,A,[...w],S)};N({kind:g,ms:0,text:"",errors:[],events:0});const O=e.subscription(v,f.value).subscribe(Q=>{if(Q.error){A=null,y&&clearTimeout(y),C(g,m,Q),P();return}S++,w.unshift({event:S,data:Q.data}),w.length>M&&(w.length=M),A=Q,y??=setTimeout(E,250)});_.current={unsubscribe:()=>{O.unsubscribe(),y&&clearTimeout(y),E()}};return}const x=await(g==="mutation"?e.mutation(v,f.value):e.query(v,f.value,{requestPolicy:"network-only"})).toPromise();C(g,m,x)}catch(k){u(k instanceof Error?k.message:String(k)),N(null)}finally{g!=="subscription"&&I(null)}J.current?.focus()},ne=s=>{s.key==="Enter"&&(s.ctrlKey||s.metaKey)&&(s.preventDefault(),W())},U=s=>{a(s.query),c(s.variables),p(s.operationName??""),u(null),z.current?.focus()},se=()=>{$([]),B(sessionStorage,[])},ie=typeof navigator<"u"&&/Mac|iPhone|iPad/.test(navigator.platform);return r("section",{class:"qp",children:[r("h1",{children:"Query"}),r("div",{class:"qp-layout",children:[r("div",{class:"qp-main",children:[r("form",{class:"panel qp-editor","aria-label":"GraphQL operation",onSubmit:s=>{s.preventDefault(),W()},onKeyDown:ne,children:[r("div",{class:"row qp-examples",role:"group","aria-labelledby":"qp-examples-label",children:[r("span",{id:"qp-examples-label",class:"muted small",children:"Examples:"}),G.map(s=>r("button",{type:"button",onClick:()=>U(s),"aria-label":`Load the ${s.label} example`,children:s.label},s.label))]}),r("label",{for:"qp-query",children:"Query"}),r("textarea",{id:"qp-query",ref:z,class:"code",rows:16,spellcheck:!1,autocapitalize:"off",autocomplete:"off",value:t,onInput:s=>a(s.currentTarget.value)}),r("div",{class:"qp-second",children:[r("div",{children:[r("label",{for:"qp-variables",children:"Variables (JSON)"}),r("textarea",{id:"qp-variables",class:"code",rows:4,spellcheck:!1,autocapitalize:"off",autocomplete:"off",placeholder:'{"first": 10}',value:i,onInput:s=>c(s.currentTarget.value)})]}),r("div",{children:[r("label",{for:"qp-opname",children:"Operation name (optional)"}),r("input",{id:"qp-opname",list:"qp-opnames",autocapitalize:"off",autocomplete:"off",spellcheck:!1,value:o,onInput:s=>p(s.currentTarget.value),"aria-describedby":"qp-opname-hint"}),r("datalist",{id:"qp-opnames",children:te.map(s=>r("option",{value:s},s))}),r("p",{id:"qp-opname-hint",class:"muted small",children:"Needed when the document holds several operations."})]})]}),r("div",{class:"row",children:[r("button",{type:"submit",class:"primary",disabled:q==="query"||q==="mutation",children:"Run"}),q==="subscription"&&r("button",{type:"button",onClick:P,children:"Stop subscription"}),r("span",{class:"muted small",children:["or ",r("kbd",{class:"kbd",children:ie?"⌘":"Ctrl"}),"+",r("kbd",{class:"kbd",children:"Enter"})]})]}),d&&r("p",{class:"alert",role:"alert",children:d})]}),r("h2",{id:"qp-response-h",children:"Response"}),r("div",{class:"qp-status",role:"status",children:q==="query"||q==="mutation"?r("span",{"aria-busy":"true",children:["Running the ",q,"…"]}):l?r("span",{children:[r("span",{class:"badge",children:l.kind})," ",l.kind==="subscription"?`${l.events??0} event${l.events===1?"":"s"} received (newest first, the last ${M} shown)${q?", listening…":", stopped"}`:`${l.ms} ms · ${l.errors.length?`${l.errors.length} error${l.errors.length===1?"":"s"}`:"no errors"}`]}):r("span",{class:"muted",children:"Nothing run yet."})}),l&&(l.errors.length>0||l.network)&&r("div",{class:"alert qp-errors",role:"alert",children:[r("strong",{children:l.network?"The request failed":`The server answered with ${l.errors.length===1?"an error":"errors"}`}),r("ul",{children:[l.network&&r("li",{children:l.network}),l.errors.map((s,b)=>r("li",{children:s},b))]})]}),r("div",{ref:J,tabIndex:-1,"aria-labelledby":"qp-response-h",class:"qp-response-wrap",children:l?.text?r("pre",{class:`qp-response${l.errors.length||l.network?" has-errors":""}`,"data-testid":"query-response",children:l.text}):null}),l&&!X(t)&&l.text&&r("p",{class:"muted small",children:"The console's client adds __typename to every selection; it is left out here unless the query asks for it."}),r("h2",{id:"qp-history-h",children:"History"}),h.length===0?r("p",{class:"muted",children:"The queries you run are kept here (this tab only, at most 20)."}):r(le,{children:[r("ol",{class:"qp-history","aria-labelledby":"qp-history-h",children:h.map((s,b)=>r("li",{children:[r("button",{type:"button",class:"link",onClick:()=>U(s),children:ge(s)})," ",r("span",{class:"muted small",children:ce(s.at)})]},`${s.at}-${b}`))}),r("button",{type:"button",onClick:se,children:"Clear history"})]})]}),r(Te,{})]})]})}function we(e){const n=e.args.map(t=>`${t.name}: ${j(t.type)}${t.defaultValue?` = ${t.defaultValue}`:""}`);return`${e.name}${n.length?`(${n.join(", ")})`:""}: ${j(e.type)}`}function Te(){const[{data:e,fetching:n,error:t}]=ue({query:ke}),[a,i]=T(""),c=a.trim().toLowerCase(),o=e?[["Queries",e.__schema.queryType,!0],["Mutations",e.__schema.mutationType,!1],["Subscriptions",e.__schema.subscriptionType,!1]]:[];return r("aside",{class:"qp-schema panel","aria-labelledby":"qp-schema-h",children:[r("h2",{id:"qp-schema-h",children:"Schema"}),r("label",{for:"qp-find",children:"Find a field"}),r("input",{id:"qp-find",type:"search",value:a,onInput:p=>i(p.currentTarget.value),autocomplete:"off"}),r(pe,{error:t}),n&&!e&&r(de,{what:"the schema"}),o.map(([p,h,$])=>{if(!h)return null;const d=(h.fields??[]).filter(u=>!c||u.name.toLowerCase().includes(c)||(u.description??"").toLowerCase().includes(c));return r("details",{open:$||!!c,children:[r("summary",{children:[p," ",r("span",{class:"muted",children:["(",d.length,")"]})]}),r("ul",{class:"qp-fields",children:d.map(u=>r("li",{children:[r("code",{children:we(u)}),u.description&&r("p",{children:u.description})]},u.name))})]},p)})]})}export{Se as QueryView};
