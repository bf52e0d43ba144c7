import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate, shellWord } from './template.ts';

test('{{var}} and {% if %} blocks render as batchspawner (Jinja) would', () => {
  const t =
    '#SBATCH --chdir={{ homedir }}\n{% if memory %}#SBATCH --mem={{memory}}\n{% endif %}{% if qos %}Q{% endif %}{{nope}}';
  assert.equal(
    renderTemplate(t, { homedir: '/home/ann', memory: '4G', qos: '' }),
    '#SBATCH --chdir=/home/ann\n#SBATCH --mem=4G\n',
  );
  assert.equal(renderTemplate('{% if not srun %}direct{% endif %}', { srun: '' }), 'direct');
});

test('a template without {{ or {% is a str.format one; unknown names stay as written', () => {
  assert.equal(
    renderTemplate(`sudo -E -u {username} echo \${HOME} {x}`, { username: 'ann' }),
    `sudo -E -u ann echo \${HOME} {x}`,
  );
});

test('shellWord quotes only what needs quoting', () => {
  assert.equal(shellWord('--port=8888'), '--port=8888');
  assert.equal(shellWord("it's here"), "'it'\\''s here'");
  assert.equal(shellWord('$(rm -rf /)'), "'$(rm -rf /)'");
});
