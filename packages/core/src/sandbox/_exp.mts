import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import variant from "@jitl/quickjs-wasmfile-release-sync";
const mod = await newQuickJSWASMModuleFromVariant(variant);
const rt = mod.newRuntime(); rt.setMemoryLimit(32*1024*1024);
const ctx = rt.newContext();
function ev(code, ms=1000){ const dl=Date.now()+ms; rt.setInterruptHandler(()=>Date.now()>dl); const r=ctx.evalCode(code); const o=r.error?["ERR",ctx.dump(r.error)]:ctx.dump(r.value); (r.error??r.value).dispose(); console.log(code.slice(0,60), JSON.stringify(o).slice(0,200)); }
function mem(){ const u = rt.computeMemoryUsage(); const d=ctx.dump(u); u.dispose(); console.log(JSON.stringify(d)); }
ev("var keep=[]; for(let i=0;i<10000;i++) keep.push(new Array(1000).fill(i)); keep.length"); mem();
ev("keep=null; var k2=[]; for(let i=0;i<10000;i++) k2.push(Array.from({length:1000},(_, j)=>j*1.5)); k2.length"); mem();
console.log(mod.getWasmMemory?.().buffer.byteLength);
