-- Drives GradLens' language server from Neovim's built-in LSP client, headless. Reads a plan (a
-- JSON list of steps) from $GRADLENS_NVIM_PLAN, runs each step against `gradlens lsp --stdio`
-- ($GRADLENS_NVIM_CMD, a JSON list), and writes what Neovim got to $GRADLENS_NVIM_OUT as JSON.
-- Works with Neovim 0.7 (Debian 12's): vim.lsp.start_client and buf_attach_client, no vim.lsp.start.
local plan = vim.fn.json_decode(table.concat(vim.fn.readfile(os.getenv('GRADLENS_NVIM_PLAN')), '\n'))
local cmd = vim.fn.json_decode(os.getenv('GRADLENS_NVIM_CMD'))
local out_path = os.getenv('GRADLENS_NVIM_OUT')
local results = {}
local TIMEOUT = 20000

local function finish(err)
  local f = io.open(out_path, 'w')
  f:write(vim.fn.json_encode({ results = results, error = err }))
  f:close()
  vim.cmd('qa!')
end

local client_id = vim.lsp.start_client({
  name = 'gradlens',
  cmd = cmd,
  root_dir = vim.fn.getcwd(),
  settings = { gradlens = {} },
})
if not client_id then return finish('the server did not start') end

local buffers = {}
local function buffer(file)
  if buffers[file] then return buffers[file] end
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'grad'
  vim.lsp.buf_attach_client(bufnr, client_id)
  buffers[file] = bufnr
  return bufnr
end

local function uri(file) return vim.uri_from_fname(file) end

local function request(bufnr, method, params)
  local responses, err = vim.lsp.buf_request_sync(bufnr, method, params, TIMEOUT)
  if not responses then return nil, err or 'no response' end
  for _, r in pairs(responses) do
    if r.error then return nil, r.error.message end
    return r.result
  end
  return nil, 'no response'
end

local function position_params(file, step)
  return { textDocument = { uri = uri(file) }, position = { line = step.line, character = step.character } }
end

local function diagnostics(bufnr)
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    table.insert(list, { line = d.lnum, col = d.col, severity = d.severity, code = lsp.code or d.code, message = d.message })
  end
  return list
end

local function buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), '\n')
end

local actions = {}

function actions.diagnostics(file, step)
  local bufnr = buffer(file)
  local ok = vim.wait(TIMEOUT, function()
    local list = diagnostics(bufnr)
    if step.expect_empty then return #list == 0 and vim.b[bufnr].gradlens_published end
    return #list > 0
  end, 50)
  return { ok = ok, diagnostics = diagnostics(bufnr) }
end

function actions.hover(file, step)
  local r, err = request(buffer(file), 'textDocument/hover', position_params(file, step))
  return { result = r, error = err }
end

function actions.completion(file, step)
  local bufnr = buffer(file)
  if step.type then
    vim.api.nvim_buf_set_lines(bufnr, step.line, step.line + 1, false, { step.type })
  end
  local r, err = request(bufnr, 'textDocument/completion', position_params(file, step))
  local items = r and (r.items or r) or {}
  local labels = {}
  for _, it in ipairs(items) do table.insert(labels, it.label) end
  return { labels = labels, error = err }
end

function actions.signatureHelp(file, step)
  local bufnr = buffer(file)
  if step.type then vim.api.nvim_buf_set_lines(bufnr, step.line, step.line + 1, false, { step.type }) end
  local r, err = request(bufnr, 'textDocument/signatureHelp', position_params(file, step))
  return { result = r, error = err }
end

function actions.definition(file, step)
  local r, err = request(buffer(file), 'textDocument/definition', position_params(file, step))
  return { result = r, error = err }
end

function actions.references(file, step)
  local params = position_params(file, step)
  params.context = { includeDeclaration = step.includeDeclaration ~= false }
  local r, err = request(buffer(file), 'textDocument/references', params)
  return { result = r, error = err }
end

function actions.rename(file, step)
  local bufnr = buffer(file)
  local params = position_params(file, step)
  params.newName = step.newName
  local r, err = request(bufnr, 'textDocument/rename', params)
  if r then vim.lsp.util.apply_workspace_edit(r, 'utf-16') end
  return { error = err, text = buffer_text(bufnr) }
end

function actions.documentSymbol(file, _)
  local r, err = request(buffer(file), 'textDocument/documentSymbol', { textDocument = { uri = uri(file) } })
  return { result = r, error = err }
end

function actions.formatting(file, _)
  local bufnr = buffer(file)
  local r, err = request(bufnr, 'textDocument/formatting', { textDocument = { uri = uri(file) }, options = { tabSize = 2, insertSpaces = true } })
  if r then vim.lsp.util.apply_text_edits(r, bufnr, 'utf-16') end
  return { error = err, text = buffer_text(bufnr) }
end

-- A clean file publishes an empty list: remember that it was published at all.
vim.lsp.handlers['textDocument/publishDiagnostics'] = (function(default)
  return function(err, result, ctx, config)
    local bufnr = vim.uri_to_bufnr(result.uri)
    vim.b[bufnr].gradlens_published = true
    return default(err, result, ctx, config)
  end
end)(vim.lsp.handlers['textDocument/publishDiagnostics'])

local ok, err = pcall(function()
  vim.wait(TIMEOUT, function() local c = vim.lsp.get_client_by_id(client_id); return c and c.initialized end, 50)
  for i, step in ipairs(plan) do
    local action = actions[step.action]
    if not action then error('unknown action ' .. tostring(step.action)) end
    local okStep, r = pcall(action, step.file, step)
    results[i] = okStep and r or { error = tostring(r) }
  end
end)
finish(ok and vim.NIL or tostring(err))
