// Parquet fixtures written by hyparquet-writer (independent of DuckDB, which reads them).
// Called by tools/data_fixtures.sh with FIXTURES and OUT set.
import { parquetWriteFile } from 'hyparquet-writer'
import { readFileSync } from 'node:fs'

const fixtures = process.env.FIXTURES
const out = process.env.OUT
const lines = (file) =>
  readFileSync(`${fixtures}/${file}`, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
const text = (name) => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' })
const int64 = (name) => ({ name, type: 'INT64', repetition_type: 'OPTIONAL' })
const list = (name) => [
  { name, repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  text('element'),
]

// a GLUE-like split: idx, sentence, label (class indices), several row groups
function order(rows, filename, offset) {
  parquetWriteFile({
    filename,
    rowGroupSize: 16,
    columnData: [
      { name: 'idx', data: rows.map((_, i) => BigInt(offset + i)) },
      { name: 'sentence', data: rows.map((r) => r.text) },
      { name: 'label', data: rows.map((r) => BigInt(r.label)) },
    ],
    schema: [{ name: 'schema', num_children: 3 }, int64('idx'), text('sentence'), int64('label')],
  })
}
const calib = lines('tiny-bert-order/calib.jsonl')
const evaluation = lines('tiny-bert-order/eval.jsonl')
order(calib.slice(0, 96), `${out}/order-train-00000-of-00002.parquet`, 0)
order(calib.slice(96, 192), `${out}/order-train-00001-of-00002.parquet`, 96)
order(evaluation.slice(0, 64), `${out}/order-validation.parquet`, 0)

// HellaSwag-like multiple choice: activity_label, ctx_a, ctx_b, ctx, endings (a list), label ("0".."3")
const words = (s) => s.split(' ')
function hellaswag(choices, filename) {
parquetWriteFile({
  filename,
  columnData: [
    { name: 'activity_label', data: choices.map(() => 'Words') },
    { name: 'ctx_a', data: choices.map((c) => words(c.context).slice(0, 2).join(' ')) },
    { name: 'ctx_b', data: choices.map((c) => words(c.context).slice(2).join(' ')) },
    { name: 'ctx', data: choices.map((c) => c.context) },
    { name: 'endings', data: choices.map((c) => c.choices) },
    { name: 'label', data: choices.map((c) => String(c.label)) },
  ],
  schema: [
    { name: 'schema', num_children: 6 },
    text('activity_label'), text('ctx_a'), text('ctx_b'), text('ctx'), ...list('endings'), text('label'),
  ],
})
}
const choices = lines('tiny-gpt2/eval-choices.jsonl')
hellaswag(choices, `${out}/hellaswag-like.parquet`)

// ARC-like: question, choices {text: [...], label: [A, B, ...]}, answerKey
const letters = ['A', 'B', 'C', 'D']
parquetWriteFile({
  filename: `${out}/arc-like.parquet`,
  columnData: [
    { name: 'id', data: choices.map((_, i) => `q${i}`) },
    { name: 'question', data: choices.map((c) => c.context) },
    {
      name: 'choices',
      data: choices.map((c) => ({ text: c.choices, label: letters.slice(0, c.choices.length) })),
    },
    { name: 'answerKey', data: choices.map((c) => letters[c.label]) },
  ],
  schema: [
    { name: 'schema', num_children: 4 },
    text('id'),
    text('question'),
    { name: 'choices', repetition_type: 'OPTIONAL', num_children: 2 },
    ...list('text'),
    ...list('label'),
    text('answerKey'),
  ],
})

// a text corpus (WikiText-like: one line per row, blank lines and headings included)
function corpus(texts, filename) {
  const wiki = []
  texts.forEach((t, i) => {
    if (i % 16 === 0) wiki.push('', ` = Section ${i / 16} = `, '')
    wiki.push(` ${t} `)
  })
  parquetWriteFile({
    filename,
    rowGroupSize: 64,
    columnData: [{ name: 'text', data: wiki }],
    schema: [{ name: 'schema', num_children: 1 }, text('text')],
  })
}
corpus(lines('tiny-gpt2/eval.jsonl').map((r) => r.text), `${out}/corpus-like.parquet`)

// the README's examples: the tiny Llama's texts as a corpus and its choice items as HellaSwag rows
const examples = process.env.EXAMPLES
if (examples) {
  const llama = (file) =>
    readFileSync(`${examples}/tiny-llama-gqa/${file}`, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
  corpus(
    [...llama('calib.jsonl'), ...llama('eval.jsonl')].map((r) => r.text),
    `${examples}/data/llama-corpus.parquet`,
  )
  hellaswag(llama('eval-choices.jsonl'), `${examples}/data/llama-hellaswag.parquet`)
  order(lines('tiny-bert-order/eval.jsonl').slice(0, 200), `${examples}/data/order-validation.parquet`, 0)
}

// images as the Hub stores them: {bytes, path} structs, ViT labels by index
const images = lines('random-vit-2x6/calib.jsonl').slice(0, 8)
parquetWriteFile({
  filename: `${out}/images-like.parquet`,
  columnData: [
    {
      name: 'img',
      data: images.map((r) => ({
        bytes: new Uint8Array(readFileSync(`${fixtures}/random-vit-2x6/${r.image}`)),
        path: r.image,
      })),
    },
    { name: 'label', data: images.map((r) => String(r.label)) },
  ],
  schema: [
    { name: 'schema', num_children: 2 },
    { name: 'img', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
    text('path'),
    text('label'),
  ],
})
